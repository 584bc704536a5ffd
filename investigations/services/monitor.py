"""Watching collection while it runs: progress per source and per target, the time left
at the measured rate, and jobs that stopped sending heartbeats.

This is the one implementation of the stuck-job sweep: the maintenance sweep and the
scraping progress monitor both call ``sweep_stuck_jobs``.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from .. import celery_control, pipeline
from ..models import (
    Investigation,
    InvestigationStatus,
    Job,
    JobPhase,
    JobState,
    TargetStatus,
)
from . import progress as progress_service

logger = logging.getLogger(__name__)

_DONE_TARGETS = (TargetStatus.SUCCEEDED, TargetStatus.PARTIAL)
_FAILED_TARGETS = (TargetStatus.FAILED, TargetStatus.NOT_FOUND, TargetStatus.CANCELLED)
# The rate is measured over this recent span when enough jobs ended in it, so the
# estimate follows a platform that slowed down (a pause) instead of the whole run.
RATE_WINDOW = timedelta(minutes=5)
_MIN_RECENT = 20


def scraping_progress(investigation_id: int) -> dict[str, Any]:
    """Collection jobs counted per source and targets counted by outcome, with the rate
    of jobs ending per minute and the seconds left at that rate (None when unknown)."""
    jobs = Job.objects.filter(investigation_id=investigation_id, phase=JobPhase.SCRAPING)
    rows = jobs.values("name").annotate(
        done=Count("id", filter=Q(state=JobState.SUCCEEDED)),
        failed=Count("id", filter=Q(state__in=(JobState.FAILED, JobState.CANCELLED))),
        pending=Count("id", filter=Q(state__in=pipeline.ACTIVE_JOB_STATES)),
        started=Min("started_at"),
    )
    per_source = {
        row["name"]: {"done": row["done"], "failed": row["failed"], "pending": row["pending"]}
        for row in rows
    }
    targets = (
        Investigation.objects.get(pk=investigation_id)
        .targets.values("status")
        .annotate(count=Count("id"))
    )
    by_status = {row["status"]: row["count"] for row in targets}
    per_target = {
        "done": sum(by_status.get(s, 0) for s in _DONE_TARGETS),
        "failed": sum(by_status.get(s, 0) for s in _FAILED_TARGETS),
        "pending": by_status.get(TargetStatus.PENDING, 0) + by_status.get(TargetStatus.RUNNING, 0),
    }
    finished = sum(s["done"] + s["failed"] for s in per_source.values())
    pending = sum(s["pending"] for s in per_source.values())
    rate = _jobs_per_second(jobs, finished, [row["started"] for row in rows])
    return {
        "per_source": per_source,
        "per_target": per_target,
        "jobs": {"finished": finished, "pending": pending},
        "rate_per_minute": round(rate * 60, 1) if rate else None,
        "eta_seconds": round(pending / rate) if rate and pending else (0 if not pending else None),
        "measured_at": timezone.now().isoformat(),
    }


def _jobs_per_second(jobs, finished: int, starts: list) -> float | None:
    now = timezone.now()
    recent = jobs.filter(finished_at__gte=now - RATE_WINDOW).count()
    if recent >= _MIN_RECENT:
        return recent / RATE_WINDOW.total_seconds()
    begun = min((s for s in starts if s is not None), default=None)
    if begun is None or not finished:
        return None
    elapsed = (now - begun).total_seconds()
    return finished / elapsed if elapsed > 0 else None


def _stuck_jobs(now) -> list[Job]:
    """Running jobs silent past the bound; retrying ones past the bound plus the longest
    retry countdown, since they are silent by design while they wait."""
    running_cutoff = now - timedelta(seconds=settings.OSINT_JOB_STUCK_SECONDS)
    retrying_cutoff = running_cutoff - timedelta(seconds=settings.OSINT_TASK_RETRY_MAX_DELAY)
    return list(
        Job.objects.filter(
            Q(state=JobState.RUNNING, heartbeat_at__lt=running_cutoff)
            | Q(state=JobState.RETRYING, heartbeat_at__lt=retrying_cutoff)
        )
        .exclude(phase=JobPhase.PIPELINE)
        .select_related(None)
    )


def sweep_stuck_jobs() -> dict[str, int]:
    """Requeue jobs that went silent while they have attempts left, fail them after, and
    move their investigations on, so that nothing stays running forever."""
    now = timezone.now()
    requeued = failed = 0
    touched: set[int] = set()
    for job in _stuck_jobs(now):
        silence = int((now - job.heartbeat_at).total_seconds())
        if job.attempts <= settings.OSINT_TASK_MAX_RETRIES:
            requeued += _requeue(job, silence)
        else:
            failed += _fail(job, silence)
        touched.add(job.investigation_id)
    for investigation_id in touched:
        pipeline.collection_progressed(investigation_id)
    return {"stuck_jobs": requeued + failed, "requeued": requeued, "failed": failed}


def _requeue(job: Job, silence: int, *, state: str | None = None) -> int:
    task_id = celery_control.new_task_id()
    args = (job.target_id,) if job.target_id else (job.investigation_id,)
    with transaction.atomic():
        reason = (
            f"Sent again: still queued after {silence} s (the message was lost)"
            if state == JobState.QUEUED
            else f"Requeued: no heartbeat for {silence} s (the worker was lost)"
        )
        updated = Job.objects.filter(
            pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at
        ).update(
            state=JobState.QUEUED,
            celery_task_id=task_id,
            error=reason,
            heartbeat_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(
                lambda: celery_control.send(job.task_name, args=args, task_id=task_id)
            )
    if updated:
        celery_control.revoke([job.celery_task_id])
        logger.warning(
            "%s; requeued (attempt %d done)",
            reason,
            job.attempts,
            extra={"job_id": job.pk, "investigation_id": job.investigation_id},
        )
    return updated


def _fail(job: Job, silence: int) -> int:
    updated = Job.objects.filter(pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at).update(
        state=JobState.FAILED,
        error=f"No heartbeat for {silence} s after {job.attempts} attempts: the worker was lost",
        finished_at=timezone.now(),
    )
    if updated:
        logger.warning(
            "Job stuck without heartbeat for %d s after %d attempts; marked failed",
            silence,
            job.attempts,
            extra={"job_id": job.pk, "investigation_id": job.investigation_id},
        )
        progress_service.refresh_after_job(job.investigation_id, job.target_id)
    return updated


def resend_lost_work() -> dict[str, int]:
    """Send again what was recorded as sent but never started: a queued investigation
    whose pipeline task did not arrive (the broker was down), collection jobs and
    follow-up steps whose messages were lost. Each goes out under its current run or a
    new task id, so a late original is a no-op."""
    now = timezone.now()
    pipelines = _resend_queued_investigations(now)
    stale = now - timedelta(seconds=settings.OSINT_JOB_QUEUED_STALE_SECONDS)
    lost = Job.objects.filter(
        state=JobState.QUEUED,
        heartbeat_at__lt=stale,
        investigation__status=InvestigationStatus.RUNNING,
    ).exclude(celery_task_id="")
    jobs = 0
    for job in lost.filter(phase=JobPhase.SCRAPING):
        jobs += _requeue(job, int((now - job.heartbeat_at).total_seconds()), state=JobState.QUEUED)
    follow_ups = set(
        lost.filter(phase__in=(JobPhase.ANALYSIS, JobPhase.REPORT)).values_list(
            "investigation_id", flat=True
        )
    )
    for investigation_id in follow_ups:
        logger.warning(
            "Follow-up steps queued too long ago; sent again",
            extra={"investigation_id": investigation_id},
        )
        pipeline.resend_follow_up(investigation_id)
    return {"pipelines": pipelines, "jobs": jobs, "follow_ups": len(follow_ups)}


def _resend_queued_investigations(now) -> int:
    from .investigations import RUN_FULL_INVESTIGATION_TASK, send_pipeline

    cutoff = now - timedelta(seconds=settings.OSINT_QUEUED_RESEND_SECONDS)
    sent = 0
    for investigation in Investigation.objects.filter(
        status=InvestigationStatus.QUEUED, updated_at__lt=cutoff
    ):
        if investigation.options.get("bulk"):
            continue  # its list travels in the message; nothing here could send it again
        Investigation.objects.filter(pk=investigation.pk).update(updated_at=now)
        task_name = investigation.options.get("pipeline_task", RUN_FULL_INVESTIGATION_TASK)
        logger.warning(
            "Investigation queued since %s without starting; pipeline sent again",
            investigation.updated_at,
            extra={"investigation_id": investigation.pk},
        )
        sent += send_pipeline(investigation.pk, task_name, investigation.pipeline_task_id)
    return sent


def finish_abandoned_investigations(silence: timedelta) -> int:
    """Investigations that say running though all their work has ended (the message of
    their last step was lost) get their end status."""
    cutoff = timezone.now() - silence
    finished = 0
    running = Investigation.objects.filter(
        status=InvestigationStatus.RUNNING, updated_at__lt=cutoff
    )
    for investigation in running:
        if not investigation.jobs.filter(state__in=pipeline.ACTIVE_JOB_STATES).exists():
            progress_service.finalise_investigation(investigation.pk)
            finished += 1
    return finished


def monitor_scraping_progress(investigation_id: int | None = None) -> dict[str, Any]:
    """One pass of the monitor: sweep stuck jobs, keep each running investigation's
    fan-out moving, and store its progress on its collection job for pages to read."""
    swept = sweep_stuck_jobs()
    resent = resend_lost_work()
    running = Investigation.objects.filter(status=InvestigationStatus.RUNNING)
    if investigation_id is not None:
        running = running.filter(pk=investigation_id)
    watched = 0
    for pk in running.values_list("pk", flat=True):
        pipeline.collection_progressed(pk)
        snapshot = scraping_progress(pk)
        step = Job.objects.filter(
            investigation_id=pk, phase=JobPhase.PIPELINE, name=pipeline.COLLECTION_STEP
        ).first()
        if step is not None:
            Job.objects.filter(pk=step.pk).update(result={**step.result, "progress": snapshot})
        watched += 1
        logger.info(
            "Collection progress: %d finished, %d pending, %s jobs a minute",
            snapshot["jobs"]["finished"],
            snapshot["jobs"]["pending"],
            snapshot["rate_per_minute"],
            extra={"investigation_id": pk},
        )
    return {**swept, "resent": resent, "investigations": watched}
