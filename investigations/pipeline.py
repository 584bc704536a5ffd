"""The shape of an investigation's run: collection work for every target and collector,
sent to the broker in bounded batches, then analysis, report and the final status.

No chord holds the fan-out. Each collection task has a job row, created up front in bulk;
a job is sent when there is room in the investigation's window (OSINT_DISPATCH_WINDOW
jobs queued or running at once, sent OSINT_DISPATCH_BATCH at a time). As each job ends
it calls ``collection_progressed``, which tops the window up and, once no collection job
is left, queues the follow-up steps. That check runs under a lock on the investigation's
"collection" job row, so exactly one caller sees the end and queues the follow-up. A
thousand targets or fifty thousand cost the same memory, in the broker as in a worker.

Tasks are referred to by registered name, so this module imports no other app.
"""

import logging
from contextvars import ContextVar
from typing import Any

from celery import chain, signature
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import celery_control, registry
from .models import Investigation, InvestigationStatus, Job, JobPhase, JobState, TargetStatus
from .services import jobs as job_service

logger = logging.getLogger(__name__)

ANALYZE_TASK = "analysis.tasks.analyze_investigation_task"
REPORT_TASK = "reports.tasks.generate_report_task"
UPDATE_STATUS_TASK = "investigations.tasks.update_investigation_status_task"
# The investigation-level job that stands for the whole collection phase.
COLLECTION_STEP = "collection"
ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
_CREATE_BATCH = 1000
# Set while this context dispatches: with eager tasks (tests) a job finishing inside
# the dispatch must not start a nested dispatch; the outer loop goes on instead.
_dispatching: ContextVar[bool] = ContextVar("dispatching", default=False)


def claim_for_run(investigation_id: int) -> bool:
    """Move a queued investigation to running; False when there is nothing to do (it was
    cancelled, or another delivery of the pipeline task already started it)."""
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation_id)
        if investigation.status != InvestigationStatus.QUEUED:
            logger.info(
                "Pipeline not started: investigation is %s",
                investigation.status,
                extra={"investigation_id": investigation_id},
            )
            return False
        investigation.status = InvestigationStatus.RUNNING
        investigation.started_at = timezone.now()
        investigation.save(update_fields=["status", "started_at", "updated_at"])
    return True


def _create_collection_jobs(investigation_id: int, family: str | None) -> int:
    """One queued job row per target and collector, written in bulk; not sent yet (an
    empty task id marks a job not yet sent). A run again starts its jobs afresh."""
    sources = {
        c.source
        for kind in registry.supported_kinds()
        for c in registry.collectors_for(kind, family)
    }
    Job.objects.filter(
        investigation_id=investigation_id, phase=JobPhase.SCRAPING, name__in=sources
    ).delete()
    targets = (
        Investigation.objects.get(pk=investigation_id)
        .targets.exclude(status=TargetStatus.CANCELLED)
        .only("id", "kind")
        .order_by("id")
    )
    pending: list[Job] = []
    total = 0
    for target in targets.iterator(chunk_size=_CREATE_BATCH):
        for collector in registry.collectors_for(target.kind, family):
            pending.append(
                Job(
                    investigation_id=investigation_id,
                    target_id=target.pk,
                    phase=JobPhase.SCRAPING,
                    name=collector.source,
                    task_name=collector.task_name,
                )
            )
        if len(pending) >= _CREATE_BATCH:
            total += len(Job.objects.bulk_create(pending))
            pending = []
    total += len(Job.objects.bulk_create(pending))
    return total


def _follow_up(investigation_id: int, analyse: bool):
    steps = []
    if analyse:
        steps.append(_step(ANALYZE_TASK, JobPhase.ANALYSIS, "summary", investigation_id))
        steps.append(_step(REPORT_TASK, JobPhase.REPORT, "summary", investigation_id))
    # The status step carries the run it belongs to: a step left over from an earlier,
    # cancelled run must not end the current one.
    run_id = Investigation.objects.values_list("pipeline_task_id", flat=True).get(
        pk=investigation_id
    )
    steps.append(
        signature(
            UPDATE_STATUS_TASK, args=(investigation_id,), kwargs={"run_id": run_id}, immutable=True
        )
    )
    return chain(*steps) if len(steps) > 1 else steps[0]


def resend_follow_up(investigation_id: int) -> None:
    """Queue analysis, report and status again, after their messages were lost."""
    step = Job.objects.filter(
        investigation_id=investigation_id, phase=JobPhase.PIPELINE, name=COLLECTION_STEP
    ).first()
    analyse = bool(step.result.get("analyse", True)) if step else True
    _follow_up(investigation_id, analyse).apply_async()


def _step(task_name: str, phase: str, name: str, investigation_id: int):
    task_id = celery_control.new_task_id()
    job_service.queue_job(
        investigation_id, phase=phase, name=name, task_name=task_name, celery_task_id=task_id
    )
    return signature(task_name, args=(investigation_id,), immutable=True).set(task_id=task_id)


def launch(investigation_id: int, *, family: str | None = None, analyse: bool = True) -> int:
    """Create the collection jobs, send the first batches and return how many jobs.

    With nothing to collect the follow-up steps are queued at once, so an empty fan-out
    still brings the investigation to its end status.
    """
    total = _create_collection_jobs(investigation_id, family)
    job_service.queue_job(
        investigation_id,
        phase=JobPhase.PIPELINE,
        name=COLLECTION_STEP,
        task_name=UPDATE_STATUS_TASK,
        celery_task_id="",
    )
    now = timezone.now()
    Job.objects.filter(
        investigation_id=investigation_id, phase=JobPhase.PIPELINE, name=COLLECTION_STEP
    ).update(
        state=JobState.RUNNING,
        started_at=now,
        heartbeat_at=now,
        result={"analyse": analyse, "family": family, "total": total},
    )
    logger.info(
        "Pipeline launched: %d collection jobs", total, extra={"investigation_id": investigation_id}
    )
    collection_progressed(investigation_id)
    return total


def collection_progressed(investigation_id: int) -> dict[str, Any]:
    """Top up the window of sent collection jobs and, when none is left, queue the
    follow-up steps exactly once. Safe to call any number of times, from any worker:
    each job end, the launch and the progress monitor call it."""
    if _dispatching.get():
        return {"state": "nested"}
    if _nothing_to_do_yet(investigation_id):
        return {"state": "collecting", "sent": 0}
    token = _dispatching.set(True)
    try:
        sent = 0
        while True:
            batch, finished, analyse = _claim_next_batch(investigation_id)
            for target_id, task_name, task_id in batch:
                celery_control.send(task_name, args=(target_id,), task_id=task_id)
            sent += len(batch)
            if finished:
                _follow_up(investigation_id, analyse).apply_async()
                return {"state": "finished", "sent": sent}
            if not batch:
                return {"state": "collecting", "sent": sent}
    finally:
        _dispatching.reset(token)


def _nothing_to_do_yet(investigation_id: int) -> bool:
    """True when, without taking the lock, it is clear this call can neither send a batch
    nor see the end: other jobs are still out and there is no room (or nothing left) to
    send. Each job commits its own end before calling, so of the last jobs to end, the
    one that counts last sees none out and goes on to the locked check."""
    active = Job.objects.filter(
        investigation_id=investigation_id, phase=JobPhase.SCRAPING, state__in=ACTIVE_JOB_STATES
    )
    in_flight = active.exclude(celery_task_id="").count()
    if not in_flight:
        return False
    room = settings.OSINT_DISPATCH_WINDOW - in_flight
    batch = min(settings.OSINT_DISPATCH_BATCH, settings.OSINT_DISPATCH_WINDOW)
    return room < batch or not active.filter(celery_task_id="").exists()


def _claim_next_batch(investigation_id: int) -> tuple[list[tuple], bool, bool]:
    """Under the collection row's lock: the next jobs to send (their task ids written),
    and whether collection has just finished (the row is then marked succeeded)."""
    with transaction.atomic():
        step = (
            Job.objects.select_for_update()
            .filter(
                investigation_id=investigation_id,
                phase=JobPhase.PIPELINE,
                name=COLLECTION_STEP,
                state=JobState.RUNNING,
            )
            .first()
        )
        if step is None:
            return [], False, False  # not launched, already finished, or cancelled
        jobs = Job.objects.filter(investigation_id=investigation_id, phase=JobPhase.SCRAPING)
        active = jobs.filter(state__in=ACTIVE_JOB_STATES)
        in_flight = active.exclude(celery_task_id="").count()
        room = settings.OSINT_DISPATCH_WINDOW - in_flight
        batch: list[Job] = []
        if room >= min(settings.OSINT_DISPATCH_BATCH, settings.OSINT_DISPATCH_WINDOW):
            batch = list(
                active.filter(celery_task_id="", state=JobState.QUEUED)
                .order_by("id")
                .only("id", "target_id", "task_name")[: min(room, settings.OSINT_DISPATCH_BATCH)]
            )
            sent_at = timezone.now()
            for job in batch:
                job.celery_task_id = celery_control.new_task_id()
                job.heartbeat_at = sent_at  # when it was sent, for the lost-message check
            Job.objects.bulk_update(batch, ["celery_task_id", "heartbeat_at"])
        finished = not batch and in_flight == 0 and not active.exists()
        if finished:
            step.state, step.progress = JobState.SUCCEEDED, 100
            step.finished_at = step.heartbeat_at = timezone.now()
            step.save(update_fields=["state", "progress", "finished_at", "heartbeat_at"])
        else:
            Job.objects.filter(pk=step.pk).update(heartbeat_at=timezone.now())
        analyse = bool(step.result.get("analyse", True))
    return [(j.target_id, j.task_name, j.celery_task_id) for j in batch], finished, analyse
