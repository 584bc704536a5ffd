"""The batched fan-out, the progress monitor and the stuck-job sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from investigations import celery_control, pipeline
from investigations.models import InvestigationStatus, Job, JobPhase, JobState
from investigations.services import monitor
from investigations.services.progress import refresh_target_status
from maintenance import services as maintenance_services
from tests.factories import InvestigationFactory, TargetFactory


@pytest.fixture
def sent(monkeypatch):
    """Messages the pipeline sends, recorded instead of queued."""
    messages, follow_ups = [], []
    monkeypatch.setattr(
        celery_control, "send", lambda name, args=(), task_id=None, **k: messages.append(task_id)
    )

    class FollowUp:
        def __init__(self, investigation_id, analyse):
            self.investigation_id = investigation_id

        def apply_async(self):
            follow_ups.append(self.investigation_id)

    monkeypatch.setattr(pipeline, "_follow_up", FollowUp)
    return messages, follow_ups


def launched(count: int):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    for n in range(count):
        TargetFactory(investigation=investigation, value=f"user{n}")
    total = pipeline.launch(investigation.pk)
    return investigation, total


def finish(jobs, state=JobState.SUCCEEDED):
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(state=state, finished_at=timezone.now())


def scraping_jobs(investigation):
    return Job.objects.filter(investigation=investigation, phase=JobPhase.SCRAPING)


@pytest.mark.django_db
def test_collection_is_sent_in_batches_within_the_window(sent, settings):
    settings.OSINT_DISPATCH_BATCH, settings.OSINT_DISPATCH_WINDOW = 5, 10
    messages, follow_ups = sent

    investigation, total = launched(23)

    assert total == 23
    assert len(messages) == 10
    in_flight = scraping_jobs(investigation).exclude(celery_task_id="")
    finish(in_flight[:4])
    pipeline.collection_progressed(investigation.pk)
    assert len(messages) == 10  # room for less than a batch: nothing sent yet
    finish(in_flight[4:5])
    pipeline.collection_progressed(investigation.pk)
    assert len(messages) == 15
    while len(messages) < 23:
        finish(scraping_jobs(investigation).exclude(celery_task_id=""))
        pipeline.collection_progressed(investigation.pk)
    assert follow_ups == []
    finish(scraping_jobs(investigation))
    pipeline.collection_progressed(investigation.pk)
    pipeline.collection_progressed(investigation.pk)
    assert follow_ups == [investigation.pk]  # once, however often it is called
    assert len(set(messages)) == 23


@pytest.mark.django_db
def test_an_empty_fan_out_queues_the_follow_up_at_once(sent):
    _, follow_ups = sent

    investigation, total = launched(0)

    assert total == 0
    assert follow_ups == [investigation.pk]


@pytest.mark.django_db
def test_progress_is_counted_per_source_and_target_with_the_time_left(sent):
    investigation, _ = launched(10)
    jobs = list(scraping_jobs(investigation).order_by("id"))
    started = timezone.now() - timedelta(seconds=60)
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(started_at=started)
    finish(jobs[:3])
    finish(jobs[3:5], JobState.FAILED)
    for job in jobs[:5]:
        refresh_target_status(job.target_id)

    progress = monitor.scraping_progress(investigation.pk)

    assert progress["per_source"] == {"github": {"done": 3, "failed": 2, "pending": 5}}
    assert progress["per_target"] == {"done": 3, "failed": 2, "pending": 5}
    # Five jobs ended in about a minute: five a minute, so five left take about 60 s.
    assert progress["rate_per_minute"] == pytest.approx(5.0, rel=0.05)
    assert progress["eta_seconds"] == pytest.approx(60, abs=3)


@pytest.mark.django_db
def test_a_stuck_job_is_detected_and_requeued_while_it_has_attempts(
    sent, settings, django_capture_on_commit_callbacks
):
    messages, _ = sent
    investigation, _ = launched(2)
    stuck, alive = scraping_jobs(investigation).order_by("id")
    silent_since = timezone.now() - timedelta(seconds=settings.OSINT_JOB_STUCK_SECONDS + 60)
    Job.objects.filter(pk=stuck.pk).update(
        state=JobState.RUNNING, attempts=1, heartbeat_at=silent_since
    )
    Job.objects.filter(pk=alive.pk).update(
        state=JobState.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    old_task_id = stuck.celery_task_id

    with django_capture_on_commit_callbacks(execute=True):
        result = monitor.monitor_scraping_progress()

    stuck.refresh_from_db()
    alive.refresh_from_db()
    assert result["requeued"] == 1 and result["failed"] == 0
    assert stuck.state == JobState.QUEUED
    assert stuck.celery_task_id not in ("", old_task_id)
    assert stuck.error.startswith("Requeued: no heartbeat for")
    assert messages[-1] == stuck.celery_task_id
    assert alive.state == JobState.RUNNING
    step = Job.objects.get(investigation=investigation, name=pipeline.COLLECTION_STEP)
    assert step.result["progress"]["per_source"]["github"]["pending"] == 2


@pytest.mark.django_db
def test_a_stuck_job_out_of_attempts_fails_and_the_pipeline_moves_on(sent, settings):
    _, follow_ups = sent
    investigation, _ = launched(1)
    job = scraping_jobs(investigation).get()
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        attempts=settings.OSINT_TASK_MAX_RETRIES + 1,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )

    result = maintenance_services.sweep_stuck_jobs()

    job.refresh_from_db()
    assert result["failed"] == 1
    assert job.state == JobState.FAILED
    assert job.error.startswith("No heartbeat for")
    assert "after 4 attempts: the worker was lost" in job.error
    assert job.target.status == "failed"
    assert follow_ups == [investigation.pk]
