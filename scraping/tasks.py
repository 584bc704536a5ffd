"""Celery entry points for collection: one task per source and target kind."""

from celery import shared_task

from investigations.tasking import JobTask, run_target_job

from .services import domain, github


@shared_task(bind=True, base=JobTask)
def scrape_github_user_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_user)


@shared_task(bind=True, base=JobTask)
def scrape_github_organization_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_organization)


@shared_task(bind=True, base=JobTask)
def scrape_github_repository_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_repository)


# A brute force of the larger wordlists against a slow public resolver takes minutes.
@shared_task(bind=True, base=JobTask, soft_time_limit=1800, time_limit=1900)
def analyze_domain_task(self, target_id: int) -> dict:
    """DNS, subdomains and certificates of one domain target, each part a step."""
    return run_target_job(self, target_id, source=domain.SOURCE, work=domain.analyze_domain)
