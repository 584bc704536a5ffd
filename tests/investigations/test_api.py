import pytest
from rest_framework.test import APIClient

from investigations.models import Investigation, InvestigationStatus
from tests.factories import InvestigationFactory, TargetFactory, UserFactory


@pytest.mark.django_db
def test_creating_an_investigation_queues_its_pipeline(
    api, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/investigations/",
            {"name": "Case 1", "targets": ["github:nvie", "github:-bad"], "mode": "detailed"},
            format="json",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["target_count"] == 1 and body["targets_by_status"]["pending"] == 1
    targets = api.get(body["targets_url"]).json()["results"]
    assert [t["target"] for t in targets] == ["github:nvie"]
    assert body["rejected_targets"][0]["input"] == "github:-bad"
    investigation = Investigation.objects.get(pk=body["id"])
    assert investigation.owner == api.user and investigation.mode == "detailed"
    assert sent == [
        (
            "investigations.tasks.run_full_investigation_task",
            {"args": (investigation.pk,), "task_id": investigation.pipeline_task_id},
        )
    ]


@pytest.mark.django_db
def test_creating_with_only_bad_targets_is_refused_with_each_reason(api, sent):
    response = api.post(
        "/api/investigations/", {"name": "x", "targets": ["nope", "github:<x>"]}, format="json"
    )

    assert response.status_code == 400
    assert len(response.json()["targets"]) == 2
    assert Investigation.objects.count() == 0
    assert sent == []


@pytest.mark.django_db
def test_creating_keeps_the_good_targets_when_one_holds_a_nul_or_is_too_long(api, sent):
    long_input = "github:" + "a" * 593

    response = api.post(
        "/api/investigations/",
        {"name": "x", "targets": ["github:jacquev6", "github:x\u0000y", long_input]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target_count"] == 1
    assert body["rejected_targets"] == [
        {
            "input": "github:x\\x00y",
            "error": "'github:x\\x00y' contains control or invisible characters.",
        },
        {
            "input": "github:" + "a" * 53 + "…",
            "error": "A target has at most 512 characters; got 600.",
        },
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/investigations/", "/api/investigations/bulk/"])
def test_a_target_that_is_not_a_string_is_refused_with_its_position(api, sent, path):
    response = api.post(path, {"name": "x", "targets": ["github:nvie", 5]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "targets": {"1": ['Each target is a string written kind:value, such as "github:octocat".']}
    }
    assert Investigation.objects.count() == 0


@pytest.mark.django_db
def test_a_bulk_list_keeps_an_item_holding_a_nul_or_too_long_for_the_parser_to_refuse(
    api, sent, django_capture_on_commit_callbacks
):
    targets = ["github:jacquev6", "github:x\u0000y", "github:" + "a" * 593]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/investigations/bulk/", {"name": "x", "targets": targets}, format="json"
        )

    assert response.status_code == 202, response.content
    assert response.json()["inputs"] == 3
    investigation = Investigation.objects.get()
    assert sent == [
        (
            "investigations.tasks.bulk_scrape_task",
            {"args": (investigation.pk, targets), "task_id": investigation.pipeline_task_id},
        )
    ]


@pytest.mark.django_db
def test_analysts_see_only_their_own_investigations(api):
    mine = InvestigationFactory(owner=api.user)
    InvestigationFactory(owner=UserFactory(username="other"))

    listed = api.get("/api/investigations/").json()["results"]

    assert [i["id"] for i in listed] == [mine.pk]
    assert api.get(f"/api/investigations/{mine.pk + 1}/").status_code == 404


@pytest.mark.django_db
def test_the_graph_of_an_investigation_is_listed(api, investigation):
    from investigations.services.graph import upsert_entity, upsert_relationship

    investigation.owner = api.user
    investigation.save()
    a = upsert_entity(investigation.pk, "account", "github:a", name="a")
    b = upsert_entity(investigation.pk, "repository", "github:a/b", name="a/b")
    upsert_relationship(a, b, "owns")

    entities = api.get(f"/api/investigations/{investigation.pk}/entities/?kind=repository").json()
    relationships = api.get(f"/api/investigations/{investigation.pk}/relationships/").json()

    assert [e["key"] for e in entities["results"]] == ["github:a/b"]
    assert relationships["results"][0]["source"]["key"] == "github:a"
    assert relationships["results"][0]["kind"] == "owns"


@pytest.mark.django_db
def test_cancel_and_start_answer_conflict_when_they_do_not_apply(api, sent, monkeypatch):
    from investigations import celery_control

    monkeypatch.setattr(celery_control, "revoke", lambda *a, **k: None)
    running = InvestigationFactory(owner=api.user, status=InvestigationStatus.RUNNING)
    TargetFactory(investigation=running)

    assert api.post(f"/api/investigations/{running.pk}/start/").status_code == 409
    assert api.post(f"/api/investigations/{running.pk}/cancel/").json()["status"] == "cancelled"
    assert api.post(f"/api/investigations/{running.pk}/cancel/").status_code == 409


@pytest.mark.django_db
def test_the_api_needs_authentication_but_health_does_not(db):
    client = APIClient()

    assert client.get("/api/investigations/").status_code in (401, 403)
    health = client.get("/api/health/")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_schema_describes_the_contract_paths(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path in (
        "/api/investigations/",
        "/api/investigations/{id}/start/",
        "/api/investigations/{id}/cancel/",
        "/api/investigations/{id}/entities/",
        "/api/investigations/{id}/relationships/",
        "/api/investigations/{id}/findings/",
        "/api/investigations/{id}/reports/",
        "/api/tasks/{task_id}/",
        "/api/health/",
    ):
        assert path in schema["paths"], path
