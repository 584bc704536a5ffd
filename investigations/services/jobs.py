"""The job record of each unit of work: queued, started, progress, finished."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import (
    FINISHED_JOB_STATES,
    Investigation,
    InvestigationStatus,
    Job,
    JobState,
)

logger = logging.getLogger(__name__)


def queue_job(
    investigation_id: int,
    *,
    phase: str,
    name: str,
    task_name: str,
    celery_task_id: str,
    target_id: int | None = None,
) -> Job:
    """Create the job row, or reset it for a new run of the same step."""
    values = {
        "task_name": task_name,
        "celery_task_id": celery_task_id,
        "state": JobState.QUEUED,
        "progress": 0,
        "attempts": 0,
        "error": "",
        "result": {},
        "started_at": None,
        # When it was queued: the lost-message check measures from here.
        "heartbeat_at": timezone.now(),
        "finished_at": None,
    }
    job, _ = Job.objects.update_or_create(
        investigation_id=investigation_id,
        target_id=target_id,
        phase=phase,
        name=name,
        defaults=values,
    )
    return job


def begin_job(
    investigation_id: int,
    *,
    phase: str,
    name: str,
    task_name: str,
    celery_task_id: str | None,
    target_id: int | None = None,
) -> Job | None:
    """Mark the job running; return None when this delivery has nothing to do.

    A message delivered a second time finds its job already finished and does nothing; a
    message whose job was since sent under another task id is stale and does nothing; a
    job of a cancelled investigation is marked cancelled instead of run.
    """
    # Only the job row is locked: cancelling writes every job row too, so it meets this
    # lock. Locking the investigation row here serialised every job start of a bulk run
    # behind one row (hundreds of workers waiting on it).
    with transaction.atomic():
        job, created = Job.objects.select_for_update().get_or_create(
            investigation_id=investigation_id,
            target_id=target_id,
            phase=phase,
            name=name,
            defaults={"task_name": task_name, "celery_task_id": celery_task_id or ""},
        )
        if celery_task_id and job.celery_task_id and job.celery_task_id != celery_task_id:
            # The job was sent again under another id (a new run, or a lost message sent
            # again): this message is stale, and the current one does the work.
            logger.info(
                "Stale delivery: the job now belongs to task %s; this one does nothing",
                job.celery_task_id,
                extra={"job_id": job.pk, "task_id": celery_task_id},
            )
            return None
        if job.state in FINISHED_JOB_STATES:
            logger.info(
                "Job already %s; this delivery does nothing",
                job.state,
                extra={"job_id": job.pk, "task_id": celery_task_id},
            )
            return None
        now = timezone.now()
        status = Investigation.objects.values_list("status", flat=True).get(pk=investigation_id)
        if status == InvestigationStatus.CANCELLED:
            job.state, job.finished_at = JobState.CANCELLED, now
            job.save(update_fields=["state", "finished_at"])
            return None
        job.state = JobState.RUNNING
        job.celery_task_id = celery_task_id or job.celery_task_id
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.error = ""
        job.save()
    return job


def record_progress(job_id: int, progress: int) -> None:
    Job.objects.filter(pk=job_id).update(
        progress=max(0, min(100, progress)), heartbeat_at=timezone.now()
    )


def record_heartbeat(job_id: int) -> None:
    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())


def mark_retrying(job_id: int, error: str, result: dict[str, Any] | None = None) -> None:
    """Record a retry to come; ``result`` keeps what this attempt finished (its steps),
    so that the next attempt can go on from there."""
    values: dict[str, Any] = {
        "state": JobState.RETRYING,
        "error": error[:4000],
        "heartbeat_at": timezone.now(),
    }
    if result is not None:
        values["result"] = result
    Job.objects.filter(pk=job_id).update(**values)


def finish_job(
    job_id: int, *, state: str, error: str = "", result: dict[str, Any] | None = None
) -> None:
    """Record the end of a job. A job already cancelled stays cancelled."""
    values: dict[str, Any] = {
        "state": state,
        "error": error[:4000],
        "finished_at": timezone.now(),
        "heartbeat_at": timezone.now(),
    }
    if state == JobState.SUCCEEDED:
        values["progress"] = 100
    if result is not None:
        values["result"] = result
    Job.objects.filter(pk=job_id).exclude(state=JobState.CANCELLED).update(**values)


def is_cancelled(investigation_id: int) -> bool:
    return Investigation.objects.filter(
        pk=investigation_id, status=InvestigationStatus.CANCELLED
    ).exists()
