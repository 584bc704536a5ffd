from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from investigations.models import InvestigationStatus, Job, JobState
from maintenance import services
from maintenance.schedules import DEFAULT_SCHEDULES, ensure_default_schedules
from tests.factories import InvestigationFactory, JobFactory, TargetFactory


@pytest.mark.django_db
def test_a_job_silent_past_the_bound_is_failed_and_its_investigation_finished():
    investigation = InvestigationFactory(status=InvestigationStatus.RUNNING)
    target = TargetFactory(investigation=investigation)
    stuck = JobFactory(
        investigation=investigation,
        target=target,
        state=JobState.RUNNING,
        heartbeat_at=timezone.now() - timedelta(hours=3),
    )
    investigation.__class__.objects.filter(pk=investigation.pk).update(
        updated_at=timezone.now() - timedelta(hours=3)
    )

    result = services.sweep_stuck_jobs(timedelta(hours=2))

    stuck.refresh_from_db()
    investigation.refresh_from_db()
    assert result == {"stuck_jobs": 1, "investigations_finished": 1}
    assert stuck.state == JobState.FAILED
    assert stuck.error == "No heartbeat for too long: the worker was lost"
    assert investigation.status == InvestigationStatus.FAILED


@pytest.mark.django_db
def test_a_job_with_a_recent_heartbeat_is_left_alone():
    job = JobFactory(state=JobState.RUNNING, heartbeat_at=timezone.now())

    assert services.sweep_stuck_jobs(timedelta(hours=2)) == {
        "stuck_jobs": 0,
        "investigations_finished": 0,
    }
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


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


@pytest.mark.django_db
def test_a_resource_sample_reads_the_machine():
    sample = services.record_resource_sample()

    assert 0 <= sample.memory_percent <= 100
    assert 0 <= sample.disk_percent <= 100
    assert sample.details["memory_available"] > 0
