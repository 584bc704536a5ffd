"""Actions on an investigation: create, start, cancel."""

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import celery_control
from ..models import (
    TERMINAL_STATUSES,
    AnalysisMode,
    Investigation,
    InvestigationStatus,
    Job,
    JobState,
    Target,
    TargetStatus,
)
from ..targets import parse_targets

logger = logging.getLogger(__name__)

RUN_FULL_INVESTIGATION_TASK = "investigations.tasks.run_full_investigation_task"


class InvestigationError(Exception):
    """An action that cannot be taken on this investigation; the message says why."""


def create_investigation(
    *,
    name: str,
    targets: list[str],
    mode: str = AnalysisMode.QUICK,
    description: str = "",
    owner: AbstractBaseUser | None = None,
    options: dict[str, Any] | None = None,
) -> Investigation:
    """Save an investigation and its valid targets; refused inputs are kept with reasons."""
    if mode not in AnalysisMode.values:
        raise InvestigationError(
            f"Unknown mode {mode!r}; use one of {', '.join(AnalysisMode.values)}."
        )
    parsed, errors = parse_targets(targets)
    with transaction.atomic():
        investigation = Investigation.objects.create(
            name=(name or "Untitled investigation")[:200],
            description=description,
            owner=owner if owner is not None and owner.is_authenticated else None,
            mode=mode,
            options=options or {},
            rejected_targets=[{"input": text, "error": error} for text, error in errors],
        )
        Target.objects.bulk_create(
            [Target(investigation=investigation, kind=t.kind, value=t.value) for t in parsed]
        )
    logger.info(
        "Investigation created: %d targets accepted, %d refused",
        len(parsed),
        len(errors),
        extra={"investigation_id": investigation.pk},
    )
    return investigation


def start_investigation(
    investigation_id: int, *, task_name: str = RUN_FULL_INVESTIGATION_TASK
) -> Investigation:
    """Queue the pipeline once the transaction commits. A finished investigation can be
    started again; its upserts add nothing twice."""
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation_id)
        if investigation.status in (InvestigationStatus.QUEUED, InvestigationStatus.RUNNING):
            raise InvestigationError("This investigation is already queued or running.")
        investigation.status = InvestigationStatus.QUEUED
        investigation.progress = 0
        investigation.error_summary = ""
        investigation.started_at = None
        investigation.finished_at = None
        investigation.pipeline_task_id = celery_control.new_task_id()
        investigation.options = {**investigation.options, "pipeline_task": task_name}
        investigation.save()
        investigation.targets.update(status=TargetStatus.PENDING, error="")
        task_id = investigation.pipeline_task_id
        transaction.on_commit(lambda: send_pipeline(investigation_id, task_name, task_id))
    logger.info(
        "Investigation queued", extra={"investigation_id": investigation_id, "task_id": task_id}
    )
    # Read again: sending happened on commit, and a broker that did not answer says so.
    investigation.refresh_from_db()
    return investigation


def send_pipeline(investigation_id: int, task_name: str, task_id: str) -> bool:
    """Send the pipeline task. A broker that does not answer leaves the investigation
    queued with the reason shown; the monitor sends it again (see OSINT_QUEUED_RESEND_SECONDS)."""
    try:
        celery_control.send(task_name, args=(investigation_id,), task_id=task_id)
    except Exception as exc:  # noqa: BLE001 - any broker fault: the record must say so
        logger.error(
            "Could not send the pipeline task: %s",
            exc,
            extra={"investigation_id": investigation_id, "task_id": task_id},
        )
        Investigation.objects.filter(pk=investigation_id).update(
            error_summary=(
                "Not sent yet: the task broker did not answer "
                f"({type(exc).__name__}); it is sent again automatically."
            )
        )
        return False
    return True


def cancel_investigation(investigation_id: int) -> Investigation:
    """Stop queued and running work: queued tasks are revoked, running ones terminated,
    and any job still running stops at its next step."""
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation_id)
        if investigation.status in TERMINAL_STATUSES:
            raise InvestigationError(f"This investigation is already {investigation.status}.")
        investigation.status = InvestigationStatus.CANCELLED
        investigation.finished_at = timezone.now()
        investigation.error_summary = "Cancelled by request."
        investigation.save()
        active = Job.objects.filter(
            investigation=investigation,
            state__in=(JobState.QUEUED, JobState.RUNNING, JobState.RETRYING),
        )
        running_ids = list(
            active.filter(state=JobState.RUNNING).values_list("celery_task_id", flat=True)
        )
        queued_ids = list(
            active.exclude(state=JobState.RUNNING).values_list("celery_task_id", flat=True)
        )
        active.update(state=JobState.CANCELLED, finished_at=timezone.now())
        investigation.targets.filter(
            status__in=(TargetStatus.PENDING, TargetStatus.RUNNING)
        ).update(status=TargetStatus.CANCELLED)
        pipeline_id = investigation.pipeline_task_id
    celery_control.revoke([*queued_ids, pipeline_id], terminate=False)
    celery_control.revoke(running_ids, terminate=True)
    logger.info(
        "Investigation cancelled: %d queued and %d running tasks revoked",
        len(queued_ids),
        len(running_ids),
        extra={"investigation_id": investigation_id},
    )
    return investigation
