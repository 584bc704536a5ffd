"""/api/tasks/{task_id}/ answers only for tasks of investigations the user may see, and
the investigation detail names its tasks so a script can follow them."""

import pytest

from investigations.models import JobPhase, JobState
from tests.factories import InvestigationFactory, JobFactory, TargetFactory, UserFactory


@pytest.fixture
def owned_job(api):
    investigation = InvestigationFactory(owner=api.user, pipeline_task_id="pipe-1")
    target = TargetFactory(investigation=investigation, value="nvie")
    return JobFactory(
        investigation=investigation,
        target=target,
        celery_task_id="job-1",
        state=JobState.RETRYING,
        attempts=2,
        error="GitHub answered 502",
    )


@pytest.mark.django_db
def test_a_task_of_ones_own_investigation_is_shown_with_its_name_and_job(api, owned_job):
    response = api.get("/api/tasks/job-1/")

    assert response.status_code == 200
    body = response.json()
    assert body["task_id"] == "job-1"
    assert body["state"] == "PENDING"
    assert body["name"] == "scraping.tasks.scrape_github_user_task"
    assert body["investigation"] == owned_job.investigation_id
    assert body["job"]["target"] == "github:nvie"
    assert (body["job"]["state"], body["job"]["attempts"]) == ("retrying", 2)
    assert body["job"]["error"] == "GitHub answered 502"


@pytest.mark.django_db
def test_the_pipeline_task_of_ones_own_investigation_is_shown(api, owned_job):
    body = api.get("/api/tasks/pipe-1/").json()

    assert (body["task_id"], body["investigation"], body["job"]) == (
        "pipe-1",
        owned_job.investigation_id,
        None,
    )


@pytest.mark.django_db
def test_a_task_of_someone_elses_investigation_is_not_found(api):
    other = InvestigationFactory(owner=UserFactory(username="other"), pipeline_task_id="pipe-x")
    JobFactory(investigation=other, celery_task_id="job-x")

    assert api.get("/api/tasks/job-x/").status_code == 404
    assert api.get("/api/tasks/pipe-x/").status_code == 404


@pytest.mark.django_db
def test_an_unknown_task_id_is_not_found_rather_than_pending(api):
    response = api.get("/api/tasks/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["detail"] == "No task with this id in an investigation you may see."


@pytest.mark.django_db
def test_staff_see_every_investigations_tasks(api):
    JobFactory(
        investigation=InvestigationFactory(owner=UserFactory(username="other")),
        celery_task_id="job-y",
    )
    api.user.is_staff = True
    api.user.save()

    assert api.get("/api/tasks/job-y/").status_code == 200


@pytest.mark.django_db
def test_the_detail_names_the_pipeline_task_and_each_job_with_its_task_id(api, owned_job):
    JobFactory(
        investigation=owned_job.investigation,
        phase=JobPhase.ANALYSIS,
        name="summary",
        task_name="analysis.tasks.analyze_investigation_task",
        celery_task_id="job-2",
    )

    body = api.get(f"/api/investigations/{owned_job.investigation_id}/").json()

    assert body["pipeline_task_id"] == "pipe-1"
    assert body["job_count"] == 2
    assert [
        (j["phase"], j["name"], j["target"], j["state"], j["attempts"], j["error"], j["task_id"])
        for j in body["jobs"]
    ] == [
        ("analysis", "summary", None, "queued", 0, "", "job-2"),
        ("scraping", "github", "github:nvie", "retrying", 2, "GitHub answered 502", "job-1"),
    ]
    # Every job can be followed at its task address.
    for job in body["jobs"]:
        assert api.get(f"/api/tasks/{job['task_id']}/").status_code == 200


@pytest.mark.django_db
def test_the_jobs_are_paged_and_filtered_at_their_own_address(api, owned_job):
    investigation = owned_job.investigation
    for n in range(3):
        JobFactory(
            investigation=investigation,
            target=TargetFactory(investigation=investigation),
            state=JobState.SUCCEEDED,
            celery_task_id=f"done-{n}",
        )

    body = api.get(f"/api/investigations/{investigation.pk}/jobs/?state=succeeded").json()

    assert body["count"] == 3
    assert [j["task_id"] for j in body["results"]] == ["done-0", "done-1", "done-2"]
    refused = api.get(f"/api/investigations/{investigation.pk}/jobs/?state=bogus")
    assert refused.status_code == 400
    assert "Unknown state 'bogus'" in refused.json()["state"][0]
