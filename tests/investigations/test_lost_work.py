"""Work recorded as sent that never started, and messages that arrive too late."""

from datetime import timedelta

import pytest
from django.utils import timezone

from investigations import pipeline
from investigations.models import InvestigationStatus, Job, JobPhase, JobState
from investigations.services import investigations as investigation_service
from investigations.services import monitor
from investigations.services.progress import finalise_investigation
from tests.factories import InvestigationFactory, JobFactory, TargetFactory


@pytest.mark.django_db
def test_a_message_for_a_job_sent_again_under_another_id_does_nothing(github_replay, eager_celery):
    from scraping.tasks import scrape_github_user_task

    target = TargetFactory(value="nvie")
    job = JobFactory(investigation=target.investigation, target=target, celery_task_id="current-id")

    stale = scrape_github_user_task.apply(args=(target.pk,), task_id="old-id").get()

    job.refresh_from_db()
    assert stale == {"state": "skipped"}
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)
    assert github_replay.requests == []


@pytest.mark.django_db
def test_the_status_step_of_an_earlier_run_does_not_end_the_current_one():
    investigation = InvestigationFactory(
        status=InvestigationStatus.RUNNING, pipeline_task_id="run-2"
    )
    TargetFactory(investigation=investigation)

    finalise_investigation(investigation.pk, run_id="run-1")
    investigation.refresh_from_db()
    assert investigation.status == InvestigationStatus.RUNNING

    finalise_investigation(investigation.pk, run_id="run-2")
    investigation.refresh_from_db()
    assert investigation.status == InvestigationStatus.FAILED


@pytest.mark.django_db
def test_an_unreachable_broker_leaves_the_investigation_queued_and_it_is_sent_again(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    from investigations import celery_control

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(celery_control, "send", broker_down)
    investigation = investigation_service.create_investigation(name="x", targets=["github:nvie"])
    with django_capture_on_commit_callbacks(execute=True):
        investigation_service.start_investigation(investigation.pk)

    investigation.refresh_from_db()
    assert investigation.status == InvestigationStatus.QUEUED
    assert investigation.error_summary.startswith("Not sent yet: the task broker did not answer")

    calls = []
    monkeypatch.setattr(celery_control, "send", lambda name, **kw: calls.append((name, kw)))
    settings.OSINT_QUEUED_RESEND_SECONDS = 0
    result = monitor.resend_lost_work()

    assert result["pipelines"] == 1
    assert calls == [
        (
            "investigations.tasks.run_full_investigation_task",
            {"args": (investigation.pk,), "task_id": investigation.pipeline_task_id},
        )
    ]


@pytest.mark.django_db
def test_a_collection_job_whose_message_was_lost_is_sent_again_under_a_new_id(
    sent, settings, django_capture_on_commit_callbacks
):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    target = TargetFactory(investigation=investigation)
    long_ago = timezone.now() - timedelta(hours=4)
    job = JobFactory(
        investigation=investigation, target=target, celery_task_id="lost", heartbeat_at=long_ago
    )
    settings.OSINT_JOB_QUEUED_STALE_SECONDS = 3600

    with django_capture_on_commit_callbacks(execute=True):
        result = monitor.resend_lost_work()

    job.refresh_from_db()
    assert result["jobs"] == 1
    assert job.celery_task_id != "lost" and job.state == JobState.QUEUED
    assert job.error.startswith("Sent again: still queued after")
    assert sent == [(job.task_name, {"args": (target.pk,), "task_id": job.celery_task_id})]


@pytest.mark.django_db
def test_lost_follow_up_steps_are_queued_again(settings, eager_celery):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    TargetFactory(investigation=investigation)
    JobFactory(
        investigation=investigation,
        phase=JobPhase.PIPELINE,
        name=pipeline.COLLECTION_STEP,
        state=JobState.SUCCEEDED,
        result={"analyse": True},
    )
    JobFactory(
        investigation=investigation,
        phase=JobPhase.ANALYSIS,
        name="summary",
        task_name=pipeline.ANALYZE_TASK,
        celery_task_id="lost",
        heartbeat_at=timezone.now() - timedelta(hours=4),
    )
    settings.OSINT_JOB_QUEUED_STALE_SECONDS = 3600

    result = monitor.resend_lost_work()

    investigation.refresh_from_db()
    assert result["follow_ups"] == 1
    assert investigation.status == InvestigationStatus.FAILED  # its only target collected nothing
    assert (
        Job.objects.get(investigation=investigation, phase=JobPhase.REPORT).state
        == JobState.SUCCEEDED
    )


@pytest.mark.django_db(transaction=True)
def test_the_api_answer_to_a_create_says_when_the_broker_did_not_answer(monkeypatch, api):
    # Without a test transaction around it, sending happens on commit as in production.
    from investigations import celery_control

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(celery_control, "send", broker_down)

    response = api.post(
        "/api/investigations/", {"name": "x", "targets": ["github:nvie"]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    assert response.json()["errors"][0].startswith("Not sent yet: the task broker did not answer")
