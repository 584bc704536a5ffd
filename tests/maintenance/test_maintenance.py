from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from investigations import pipeline
from investigations.models import InvestigationStatus, Job, JobPhase, JobState
from maintenance import services
from maintenance.schedules import DEFAULT_SCHEDULES, ensure_default_schedules
from tests.factories import InvestigationFactory, JobFactory, TargetFactory


def silent_job(investigation, *, attempts: int, hours: int = 3):
    target = TargetFactory(investigation=investigation)
    return JobFactory(
        investigation=investigation,
        target=target,
        state=JobState.RUNNING,
        attempts=attempts,
        heartbeat_at=timezone.now() - timedelta(hours=hours),
    )


@pytest.mark.django_db
def test_a_silent_job_with_attempts_left_is_queued_again(sent, django_capture_on_commit_callbacks):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    job = silent_job(investigation, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.sweep_stuck_jobs(timedelta(hours=2))

    job.refresh_from_db()
    assert (result["requeued"], result["failed"]) == (1, 0)
    assert job.state == JobState.QUEUED
    assert job.error.startswith("Requeued: no heartbeat for")
    assert sent == [(job.task_name, {"args": (job.target_id,), "task_id": job.celery_task_id})]


@pytest.mark.django_db
def test_a_silent_job_out_of_attempts_is_failed_and_its_investigation_moves_on(sent, eager_celery):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    JobFactory(
        investigation=investigation,
        phase=JobPhase.PIPELINE,
        name=pipeline.COLLECTION_STEP,
        state=JobState.RUNNING,
    )
    job = silent_job(investigation, attempts=4)

    result = services.sweep_stuck_jobs(timedelta(hours=2))

    job.refresh_from_db()
    investigation.refresh_from_db()
    assert result["failed"] == 1
    assert job.state == JobState.FAILED
    assert job.error.endswith("after 4 attempts: the worker was lost")
    assert investigation.status == InvestigationStatus.FAILED
    assert "the worker was lost" in investigation.error_summary


@pytest.mark.django_db
def test_an_investigation_whose_last_step_was_lost_is_finished(sent):
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    target = TargetFactory(investigation=investigation)
    JobFactory(investigation=investigation, target=target, state=JobState.SUCCEEDED)
    investigation.__class__.objects.filter(pk=investigation.pk).update(
        updated_at=timezone.now() - timedelta(hours=3)
    )

    result = services.sweep_stuck_jobs(timedelta(hours=2))

    investigation.refresh_from_db()
    assert result["investigations_finished"] == 1
    assert investigation.status == InvestigationStatus.COMPLETED


@pytest.mark.django_db
def test_a_job_with_a_recent_heartbeat_is_left_alone(sent):
    job = JobFactory(state=JobState.RUNNING, heartbeat_at=timezone.now())

    assert services.sweep_stuck_jobs(timedelta(hours=2))["stuck_jobs"] == 0
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
    assert sent == []


@pytest.mark.django_db
def test_the_default_schedules_exist_after_migrating_and_edits_are_kept():
    names = {name for name, *_ in DEFAULT_SCHEDULES}
    assert names <= set(PeriodicTask.objects.values_list("name", flat=True))
    sweep = PeriodicTask.objects.get(name="Sweep stuck jobs")
    assert (sweep.task, sweep.queue, sweep.expire_seconds) == (
        "maintenance.tasks.sweep_stuck_jobs_task",
        "maintenance",
        600,
    )

    sweep.enabled = False
    sweep.save()
    assert ensure_default_schedules() == 0
    assert PeriodicTask.objects.get(name="Sweep stuck jobs").enabled is False


# Beat's scheduler closes connections that are inside a transaction: run outside one.
@pytest.mark.django_db(transaction=True)
def test_expired_results_are_cleaned_up_by_one_schedule_the_one_beat_adds():
    from celery import current_app
    from django_celery_beat.schedulers import DatabaseScheduler

    daily, _ = IntervalSchedule.objects.get_or_create(every=86400, period=IntervalSchedule.SECONDS)
    # The row an earlier version of the default schedules created.
    PeriodicTask.objects.get_or_create(
        name="Expired task results cleanup",
        defaults={"task": "celery.backend_cleanup", "interval": daily},
    )

    ensure_default_schedules()
    DatabaseScheduler(app=current_app)  # beat's start-up adds its own entry

    cleanups = PeriodicTask.objects.filter(task="celery.backend_cleanup")
    assert list(cleanups.values_list("name", flat=True)) == ["celery.backend_cleanup"]


@pytest.mark.django_db
def test_a_resource_sample_reads_the_machine():
    sample = services.record_resource_sample()

    assert 0 <= sample.memory_percent <= 100
    assert 0 <= sample.disk_percent <= 100
    assert sample.details["memory_available"] > 0
