"""Target status, investigation progress and the final status, derived from job rows."""

import logging

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ..models import (
    TERMINAL_STATUSES,
    Investigation,
    InvestigationStatus,
    Job,
    JobPhase,
    JobState,
    Target,
    TargetStatus,
)

logger = logging.getLogger(__name__)


_ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
# Share of the progress bar each phase fills.
_PHASE_WEIGHTS = {JobPhase.SCRAPING: 80, JobPhase.ANALYSIS: 10, JobPhase.REPORT: 10}


def refresh_target_status(target_id: int) -> Target:
    target = Target.objects.get(pk=target_id)
    jobs = list(target.jobs.filter(phase=JobPhase.SCRAPING))
    states = {job.state for job in jobs}
    failures = [job for job in jobs if job.state == JobState.FAILED]
    failed_steps = [
        f"{job.name}: {step} failed: {info.get('error', '')}"
        for job in jobs
        for step, info in job.result.get("steps", {}).items()
        if info.get("state") == "failed"
    ]
    if not jobs:
        status = TargetStatus.PENDING
    elif states & set(_ACTIVE_JOB_STATES):
        status = TargetStatus.RUNNING
    elif JobState.CANCELLED in states:
        status = TargetStatus.CANCELLED
    elif not failures and not failed_steps:
        status = TargetStatus.SUCCEEDED
    elif not failures:
        status = TargetStatus.PARTIAL
    elif any(job.result.get("outcome") == "not_found" for job in failures):
        status = TargetStatus.NOT_FOUND
    elif JobState.SUCCEEDED in states:
        status = TargetStatus.PARTIAL
    else:
        status = TargetStatus.FAILED
    target.status = status
    errors = [f"{job.name}: {job.error}" for job in failures] + failed_steps
    target.error = "\n".join(errors)[:4000]
    notes = [f"{job.name}: {note}" for job in jobs for note in job.result.get("notes", [])]
    target.summary = {**target.summary, "notes": notes, "cache": _cache_summary(jobs)}
    target.save(update_fields=["status", "error", "summary", "updated_at"])
    return target


def _cache_summary(jobs: list[Job]) -> dict | None:
    """Cached source answers the target's jobs used, and the oldest one's fetch time."""
    used = [job.result["cache"] for job in jobs if job.result.get("cache")]
    if not used:
        return None
    return {
        "answers": sum(c["answers"] for c in used),
        "fetched_at": min(c["fetched_at"] for c in used),
        "sources": sorted(job.name for job in jobs if job.result.get("cache")),
    }


def compute_progress(investigation_id: int) -> int:
    counts = (
        Job.objects.filter(investigation_id=investigation_id)
        .values("phase")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=~Q(state__in=_ACTIVE_JOB_STATES)),
        )
    )
    percent = 0.0
    for row in counts:
        weight = _PHASE_WEIGHTS.get(row["phase"], 0)
        if row["total"]:
            percent += weight * row["done"] / row["total"]
    return int(percent)


def refresh_after_job(investigation_id: int, target_id: int | None) -> None:
    if target_id is not None:
        refresh_target_status(target_id)
    progress = min(compute_progress(investigation_id), 99)
    # Written only when the percentage moves: with thousands of jobs, writing the same
    # row after each of them made every worker queue on its lock.
    Investigation.objects.filter(pk=investigation_id, status=InvestigationStatus.RUNNING).exclude(
        progress=progress
    ).update(progress=progress, updated_at=timezone.now())


def final_status(investigation: Investigation) -> tuple[str, list[str]]:
    """The end status the targets' and steps' outcomes give, with the problems behind it."""
    targets = list(investigation.targets.all())
    problems = [
        f"{t}: {t.get_status_display().lower()}: {t.error}".rstrip(": ")
        for t in targets
        if t.status not in (TargetStatus.SUCCEEDED,)
    ]
    problems += [f"rejected {r['input']}: {r['error']}" for r in investigation.rejected_targets]
    step_failures = investigation.jobs.filter(
        phase__in=(JobPhase.ANALYSIS, JobPhase.REPORT), state=JobState.FAILED
    )
    problems += [f"{job.phase} {job.name}: {job.error}" for job in step_failures]

    collected = [t for t in targets if t.status in (TargetStatus.SUCCEEDED, TargetStatus.PARTIAL)]
    if not targets:
        return InvestigationStatus.FAILED, ["No valid targets to investigate.", *problems]
    if not collected:
        return InvestigationStatus.FAILED, problems
    if problems:
        return InvestigationStatus.PARTIAL, problems
    return InvestigationStatus.COMPLETED, []


def finalise_investigation(investigation_id: int, *, run_id: str | None = None) -> Investigation:
    """Set the end status from what the targets and steps became. Idempotent; an
    investigation already cancelled stays cancelled."""
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation_id)
        if investigation.status == InvestigationStatus.CANCELLED:
            return investigation
        if run_id and investigation.pipeline_task_id != run_id:
            logger.info(
                "Status step of an earlier run; the current run sets the end status",
                extra={"investigation_id": investigation_id},
            )
            return investigation
        for target in investigation.targets.all():
            refresh_target_status(target.pk)
        status, problems = final_status(investigation)
        investigation.status = status
        investigation.error_summary = "\n".join(problems)[:10000]
        investigation.progress = 100
        investigation.finished_at = timezone.now()
        investigation.save()
    return investigation


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES
