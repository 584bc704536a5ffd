"""The shape of an investigation's run: a fan-out of collection tasks, one per target and
collector, joined by a chord into analysis, report and the final status.

Tasks are referred to by registered name, so this module imports no other app.
"""

import logging

from celery import chain, chord, signature
from django.db import transaction
from django.utils import timezone

from . import celery_control, registry
from .models import Investigation, InvestigationStatus, JobPhase, TargetStatus
from .services import jobs as job_service

logger = logging.getLogger(__name__)

ANALYZE_TASK = "analysis.tasks.analyze_investigation_task"
REPORT_TASK = "reports.tasks.generate_report_task"
UPDATE_STATUS_TASK = "investigations.tasks.update_investigation_status_task"


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


def _collection_signatures(investigation: Investigation, family: str | None) -> list:
    signatures = []
    for target in investigation.targets.exclude(status=TargetStatus.CANCELLED):
        for collector in registry.collectors_for(target.kind, family):
            task_id = celery_control.new_task_id()
            job_service.queue_job(
                investigation.pk,
                phase=JobPhase.SCRAPING,
                name=collector.source,
                task_name=collector.task_name,
                celery_task_id=task_id,
                target_id=target.pk,
            )
            signatures.append(
                signature(collector.task_name, args=(target.pk,)).set(task_id=task_id)
            )
    return signatures


def _step(task_name: str, phase: str, name: str, investigation_id: int):
    task_id = celery_control.new_task_id()
    job_service.queue_job(
        investigation_id, phase=phase, name=name, task_name=task_name, celery_task_id=task_id
    )
    return signature(task_name, args=(investigation_id,), immutable=True).set(task_id=task_id)


def launch(investigation_id: int, *, family: str | None = None, analyse: bool = True) -> int:
    """Queue the collection fan-out and what follows it; return how many collection tasks.

    With nothing to collect the follow-up steps are queued at once, so an empty fan-out
    still brings the investigation to its end status.
    """
    investigation = Investigation.objects.get(pk=investigation_id)
    header = _collection_signatures(investigation, family)
    steps = []
    if analyse:
        steps.append(_step(ANALYZE_TASK, JobPhase.ANALYSIS, "summary", investigation_id))
        steps.append(_step(REPORT_TASK, JobPhase.REPORT, "summary", investigation_id))
    steps.append(signature(UPDATE_STATUS_TASK, args=(investigation_id,), immutable=True))
    body = chain(*steps) if len(steps) > 1 else steps[0]

    if header:
        chord(header)(body)
    else:
        body.apply_async()
    logger.info(
        "Pipeline launched: %d collection tasks",
        len(header),
        extra={"investigation_id": investigation_id},
    )
    return len(header)
