"""Celery entry points for collection: one task per source and target kind.

They run on the I/O worker (a gevent pool, see docker-compose.yml): they wait on other
servers nearly all the time. Their Celery rate limit is the coarse net; the platform
limits in ``scraping.ratelimit`` are what keeps each platform's load within bounds.
"""

from celery import shared_task
from django.conf import settings

from investigations.tasking import JobTask, run_target_job

from .services import github


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_user_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_user)


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_organization_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_organization)


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_repository_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_repository)
