"""The detail page shows what the scale work adds: platform pauses, cached data, progress."""

import re

import pytest
from django.urls import reverse

from investigations.models import Job, JobPhase, JobState, TargetStatus
from scraping import ratelimit
from tests.factories import (
    InvestigationFactory,
    TargetFactory,
    UserFactory,
    add_many_targets,
    refused_inputs,
)


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


@pytest.mark.django_db
def test_target_statuses_are_shown_by_their_labels_in_the_table_and_its_filter(client):
    user = UserFactory()
    client.force_login(user)
    investigation = InvestigationFactory(
        owner=user, rejected_targets=[{"input": "nonsense", "error": "has no kind"}]
    )
    TargetFactory(investigation=investigation, value="ghost", status=TargetStatus.NOT_FOUND)

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()

    assert '<span class="status status-not_found">Not found</span>' in page
    assert '<span class="status status-failed">Rejected</span>' in page
    filters = re.search(r'<p class="kinds" id="target-statuses">(.*?)</p>', page, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", filters) == ["all", "not found (1)", "rejected (1)"]


@pytest.fixture
def large(db):
    """10,000 targets, every tenth failed, and 150 refused inputs."""
    user = UserFactory(username="analyst")
    investigation = InvestigationFactory(
        owner=user,
        rejected_targets=refused_inputs(150),
    )
    add_many_targets(investigation, 10_000)
    return investigation


def target_cells(page: str) -> list[str]:
    table = page.split('id="targets"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="mono">([^<]*)</td>', table)


@pytest.mark.django_db
def test_a_10000_target_investigation_shows_one_page_of_targets_with_status_filters(
    client, large, django_assert_max_num_queries
):
    client.force_login(large.owner)
    url = reverse("investigations:detail", args=[large.pk])

    with django_assert_max_num_queries(25):
        page = client.get(url).content.decode()

    assert len(target_cells(page)) == 100
    assert target_cells(page)[0] == "github:user-00000"
    assert "failed (1000)" in page and "succeeded (9000)" in page and "rejected (150)" in page
    assert "Page 1 of 102" in page
    assert len(page) < 200_000


@pytest.mark.django_db
def test_the_targets_table_filters_by_status_and_pages_on(client, large):
    client.force_login(large.owner)
    url = reverse("investigations:detail", args=[large.pk])

    failed = client.get(url, {"status": "failed", "tpage": 2}).content.decode()
    rejected = client.get(url, {"status": "rejected", "tpage": 2}).content.decode()
    last = client.get(url, {"tpage": 101}).content.decode()

    assert target_cells(failed)[:2] == ["github:user-01000", "github:user-01010"]
    assert "Page 2 of 10" in failed
    # The other table's place and filters are kept in the pager's links.
    assert "?status=failed&amp;tpage=3" in failed
    assert target_cells(rejected) == [f"nope {n}" for n in range(100, 150)]
    # Refused inputs follow the targets in the unfiltered table.
    assert target_cells(last) == [f"nope {n}" for n in range(100)]


def _domain_job(investigation, state=JobState.RUNNING, error=""):
    target = TargetFactory(investigation=investigation, kind="domain", value="example.com")
    return Job.objects.create(
        investigation=investigation,
        target=target,
        phase=JobPhase.SCRAPING,
        name="domain",
        task_name="scraping.tasks.analyze_domain_task",
        state=state,
        error=error,
    )


@pytest.mark.django_db
def test_a_job_waiting_for_its_turn_says_why_on_the_page(client):
    user = UserFactory()
    client.force_login(user)
    investigation = InvestigationFactory(owner=user)
    waiting = "Waiting for its turn: rdap:rdap.example is paused for 80 s more: HTTP 429"
    _domain_job(investigation, state=JobState.RETRYING, error=waiting)

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()

    assert f'<div class="muted job-waiting">{waiting}</div>' in page


@pytest.mark.django_db
def test_hundreds_of_paused_hosts_show_as_ten_banners_and_a_count(client):
    user = UserFactory()
    client.force_login(user)
    investigation = InvestigationFactory(owner=user)
    _domain_job(investigation)
    for number in range(15):
        ratelimit.pause(f"web:site{number:02d}.example", 300, "HTTP 429 with Retry-After")

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()
    api = client.get(f"/api/investigations/{investigation.pk}/").json()

    assert page.count('class="flash warning platform-pause"') == 11
    assert "And 5 more platforms paused." in page
    assert sum(1 for p in api["collection"]["platforms"] if p["paused_until"]) == 15


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "partial"])
def test_an_investigation_that_has_ended_shows_no_pause(client, status):
    user = UserFactory()
    client.force_login(user)
    investigation = InvestigationFactory(owner=user, status=status)
    _domain_job(investigation, state=JobState.SUCCEEDED)
    ratelimit.pause("web:example.com", 300, "HTTP 429 with Retry-After")

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()

    assert "is paused until" not in page
