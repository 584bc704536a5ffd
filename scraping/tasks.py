"""Celery entry points for collection: one task per source and target kind.

They run on the I/O worker (a gevent pool, see docker-compose.yml): they wait on other
servers nearly all the time. Their Celery rate limit is the coarse net; the platform
limits in ``scraping.ratelimit`` are what keeps each platform's load within bounds.
"""

from celery import shared_task
from django.conf import settings

from investigations.models import Target
from investigations.targets import TargetKind
from investigations.tasking import JobTask, run_target_job

from .services import domain, github
from .services.social import bluesky, mastodon, usernames


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_user_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_user)


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_organization_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_organization)


@shared_task(bind=True, base=JobTask, rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT)
def scrape_github_repository_task(self, target_id: int) -> dict:
    return run_target_job(self, target_id, source=github.SOURCE, work=github.scrape_repository)


# A username run is bounded by USERNAME_RUN_TIMEOUT (120 s by default) plus the writing
# of one evidence row per site; a profile reads a few pages. Both stay well under these.
@shared_task(
    bind=True,
    base=JobTask,
    soft_time_limit=600,
    time_limit=900,
    rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT,
)
def scrape_username_task(self, target_id: int) -> dict:
    """Check a username on every site of the manifest (username enumeration)."""
    return run_target_job(
        self, target_id, source=usernames.SOURCE, work=usernames.enumerate_username
    )


PROFILE_COLLECTORS = {
    TargetKind.MASTODON: (mastodon.SOURCE, mastodon.scrape_profile),
    TargetKind.BLUESKY: (bluesky.SOURCE, bluesky.scrape_profile),
}


@shared_task(
    bind=True,
    base=JobTask,
    soft_time_limit=300,
    time_limit=600,
    rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT,
)
def scrape_social_media_profile_task(self, target_id: int) -> dict:
    """Collect one profile on one platform (a mastodon: or bluesky: target)."""
    kind = Target.objects.filter(pk=target_id).values_list("kind", flat=True).first()
    if kind not in PROFILE_COLLECTORS:
        return {"state": "skipped", "error": f"no profile collector for kind {kind!r}"}
    source, work = PROFILE_COLLECTORS[TargetKind(kind)]
    return run_target_job(self, target_id, source=source, work=work)


# A brute force of the larger wordlists against a slow public resolver takes minutes.
@shared_task(
    bind=True,
    base=JobTask,
    soft_time_limit=1800,
    time_limit=1900,
    rate_limit=settings.OSINT_COLLECTION_TASK_RATE_LIMIT,
)
def analyze_domain_task(self, target_id: int) -> dict:
    """DNS, subdomains and certificates of one domain target, each part a step."""
    return run_target_job(self, target_id, source=domain.SOURCE, work=domain.analyze_domain)
