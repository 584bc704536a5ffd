"""The detail page shows what the scale work adds: platform pauses, cached data, progress."""

import pytest
from django.urls import reverse

from investigations.models import Job, JobPhase, JobState
from scraping import ratelimit
from tests.factories import InvestigationFactory, TargetFactory, UserFactory


@pytest.mark.django_db
def test_the_page_shows_a_platform_pause_cached_data_and_progress_per_source(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    investigation = InvestigationFactory(owner=user, options={"fresh": False})
    target = TargetFactory(
        investigation=investigation,
        value="nvie",
        summary={
            "notes": [],
            "cache": {
                "answers": 4,
                "fetched_at": "2026-12-04T10:11:12+00:00",
                "sources": ["github"],
            },
        },
    )
    Job.objects.create(
        investigation=investigation,
        target=target,
        phase=JobPhase.SCRAPING,
        name="github",
        task_name="scraping.tasks.scrape_github_user_task",
        state=JobState.RUNNING,
    )
    ratelimit.pause("github", 120, "HTTP 429 with Retry-After")

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()

    assert "github is paused until" in page
    assert "(HTTP 429 with Retry-After): its requests wait, for every worker." in page
    assert "Cached data: 4 answers from 2026-12-04T10:11:12 UTC reused (github)" in page
    assert "<tr><td>github</td><td>0</td><td>0</td><td>1</td></tr>" in page
