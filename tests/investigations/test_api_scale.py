"""The API stays light for an investigation of 10,000 targets: lists count targets by
status, the detail is bounded, and the targets are paged at their own address."""

import pytest

from investigations.models import Job, JobPhase, Target
from tests.factories import InvestigationFactory, add_many_targets, refused_inputs

TARGETS = 10_000
JOBS = 300


@pytest.fixture
def large(api):
    """An investigation of 10,000 targets, every tenth one failed, 300 jobs (more than
    the detail shows) and 3,000 refused inputs."""
    investigation = InvestigationFactory(
        owner=api.user,
        rejected_targets=refused_inputs(3000),
    )
    add_many_targets(investigation, TARGETS)
    Job.objects.bulk_create(
        Job(
            investigation=investigation,
            target=target,
            phase=JobPhase.SCRAPING,
            name="github",
            task_name="scraping.tasks.scrape_github_user_task",
            celery_task_id=f"task-{target.pk}",
        )
        for target in Target.objects.filter(investigation=investigation)[:JOBS]
    )
    return investigation


@pytest.mark.django_db
def test_the_list_counts_targets_by_status_instead_of_listing_them(
    api, large, django_assert_max_num_queries
):
    InvestigationFactory(owner=api.user)

    with django_assert_max_num_queries(6):
        response = api.get("/api/investigations/")

    assert len(response.content) < 4000
    listed = {row["id"]: row for row in response.json()["results"]}
    row = listed[large.pk]
    assert "targets" not in row and "rejected_targets" not in row
    assert row["target_count"] == TARGETS
    assert row["targets_by_status"] == {
        "pending": 0,
        "running": 0,
        "succeeded": 9000,
        "partial": 0,
        "not_found": 0,
        "failed": 1000,
        "cancelled": 0,
    }
    assert row["rejected_count"] == 3000


@pytest.mark.django_db
def test_the_detail_is_bounded_and_points_at_the_paged_lists(api, large):
    response = api.get(f"/api/investigations/{large.pk}/")

    assert len(response.content) < 40_000
    body = response.json()
    assert body["target_count"] == TARGETS
    assert body["targets_by_status"]["failed"] == 1000
    assert (body["job_count"], len(body["jobs"])) == (JOBS, 100)
    assert (body["rejected_count"], len(body["rejected_targets"])) == (3000, 100)
    assert body["targets_url"].endswith(f"/api/investigations/{large.pk}/targets/")
    assert body["jobs_url"].endswith(f"/api/investigations/{large.pk}/jobs/")
    assert body["rejected_targets_url"].endswith(
        f"/api/investigations/{large.pk}/rejected-targets/"
    )


@pytest.mark.django_db
def test_the_targets_are_paged_and_filtered_by_status(api, large):
    first = api.get(f"/api/investigations/{large.pk}/targets/?status=failed").json()
    second = api.get(first["next"]).json()

    assert first["count"] == 1000
    assert [t["target"] for t in first["results"][:2]] == ["github:user-00000", "github:user-00010"]
    assert second["results"][0]["target"] == "github:user-01000"
    assert {t["status"] for t in first["results"]} == {"failed"}
    assert first["results"][0]["error"] == "GitHub user not found"
    assert first["results"][0]["jobs"][0]["source"] == "github"
    assert first["results"][0]["jobs"][0]["task_id"].startswith("task-")


@pytest.mark.django_db
def test_an_unknown_status_filter_is_refused_with_the_statuses(api, large):
    response = api.get(f"/api/investigations/{large.pk}/targets/?status=done")

    assert response.status_code == 400
    assert "Unknown status 'done'" in response.json()["status"][0]
    assert "succeeded" in response.json()["status"][0]


@pytest.mark.django_db
def test_the_refused_inputs_are_paged(api, large):
    body = api.get(f"/api/investigations/{large.pk}/rejected-targets/?page=30").json()

    assert body["count"] == 3000
    assert body["results"][-1] == {"input": "nope 2999", "error": "has no kind"}
