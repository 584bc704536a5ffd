"""Celery entry points for investigations: thin wrappers over services and the pipeline."""

import logging

from celery import shared_task

from . import pipeline
from .services import investigations as investigation_service
from .services import progress as progress_service

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=600
)
def create_investigation_task(
    self,
    name: str,
    targets: list[str],
    mode: str = "quick",
    owner_id: int | None = None,
    start: bool = True,
) -> int:
    """Create an investigation from target strings and, by default, start it."""
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.filter(pk=owner_id).first() if owner_id else None
    investigation = investigation_service.create_investigation(
        name=name, targets=targets, mode=mode, owner=owner
    )
    if start:
        investigation_service.start_investigation(investigation.pk)
    return investigation.pk


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=600
)
def run_full_investigation_task(self, investigation_id: int) -> dict:
    """Collect every target with every collector, then analyse, report and finish."""
    if not pipeline.claim_for_run(investigation_id):
        return {"state": "skipped"}
    count = pipeline.launch(investigation_id)
    return {"state": "launched", "collection_tasks": count}


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=600
)
def scrape_github_investigation_task(self, investigation_id: int) -> dict:
    """Collect the investigation's GitHub targets only, then set its status."""
    return _collect_family(investigation_id, "github")


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=600
)
def analyze_domains_investigation_task(self, investigation_id: int) -> dict:
    """Analyse the investigation's domain targets only, then set its status."""
    return _collect_family(investigation_id, "domain")


def _collect_family(investigation_id: int, family: str) -> dict:
    """Run one family of collectors on the investigation, without analysis or report."""
    if not pipeline.claim_for_run(investigation_id):
        return {"state": "skipped"}
    count = pipeline.launch(investigation_id, family=family, analyse=False)
    return {"state": "launched", "collection_tasks": count}


@shared_task(bind=True, acks_late=True, soft_time_limit=120, time_limit=300)
def update_investigation_status_task(self, investigation_id: int) -> str:
    """Set the end status from the targets' outcomes; safe to run any number of times."""
    investigation = progress_service.finalise_investigation(investigation_id)
    logger.info(
        "Investigation finished: %s",
        investigation.status,
        extra={"investigation_id": investigation_id, "task_id": self.request.id},
    )
    return investigation.status
