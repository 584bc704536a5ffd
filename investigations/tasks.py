"""Celery entry points for investigations: thin wrappers over services and the pipeline."""

import logging

from celery import shared_task

from . import pipeline
from .services import bulk as bulk_service
from .services import investigations as investigation_service
from .services import monitor as monitor_service
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


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=600
)
def scrape_social_media_investigation_task(self, investigation_id: int) -> dict:
    """Collect the investigation's social targets only (usernames, Mastodon, Bluesky),
    then set its status."""
    if not pipeline.claim_for_run(investigation_id):
        return {"state": "skipped"}
    count = pipeline.launch(investigation_id, family="social", analyse=False)
    return {"state": "launched", "collection_tasks": count}


@shared_task(bind=True, acks_late=True, soft_time_limit=120, time_limit=300)
def update_investigation_status_task(self, investigation_id: int, run_id: str | None = None) -> str:
    """Set the end status from the targets' outcomes; safe to run any number of times.
    With ``run_id``, only while that run is the investigation's current one."""
    investigation = progress_service.finalise_investigation(investigation_id, run_id=run_id)
    logger.info(
        "Investigation finished: %s",
        investigation.status,
        extra={"investigation_id": investigation_id, "task_id": self.request.id},
    )
    return investigation.status


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=900
)
def bulk_scrape_task(self, investigation_id: int, targets: list[str]) -> dict:
    """Add a list of targets to a queued bulk investigation and collect them in bounded
    batches; refused inputs are recorded on the investigation with their reasons."""
    return bulk_service.bulk_scrape(investigation_id, targets)


@shared_task(bind=True, soft_time_limit=120, time_limit=300)
def monitor_scraping_progress_task(self, investigation_id: int | None = None) -> dict:
    """Sweep stuck jobs, keep fan-outs moving and store progress (per source and target,
    rate, time left) for every running investigation, or for the one given."""
    return monitor_service.monitor_scraping_progress(investigation_id)
