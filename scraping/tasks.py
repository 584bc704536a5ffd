"""Celery entry points for collection: one task per source and target kind."""

from celery import shared_task

from investigations.tasking import JobTask, run_target_job

from .services import github


@shared_task(bind=True, base=JobTask)
def scrape_github_user_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_user)


@shared_task(bind=True, base=JobTask)
def scrape_github_organization_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_organization)


@shared_task(bind=True, base=JobTask)
def scrape_github_repository_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_repository)
