"""The API's edges: its schema says what it answers, requests without credentials get a
401, and bodies it cannot take are refused in JSON."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.management import call_command
from django.urls import get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from investigations.models import Investigation
from tests.factories import UserFactory


@pytest.fixture
def schema(api):
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def ok_schema(schema, path: str, method: str = "get", code: str = "200") -> dict:
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def query_parameters(schema, path: str) -> dict[str, dict]:
    parameters = schema["paths"][path]["get"]["parameters"]
    return {p["name"]: p for p in parameters if p["in"] == "query"}


@pytest.mark.django_db
def test_findings_and_reports_are_documented_as_lists_of_their_own_items(schema):
    findings = ok_schema(schema, "/api/investigations/{id}/findings/")
    reports = ok_schema(schema, "/api/investigations/{id}/reports/")

    assert findings == {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}
    assert reports == {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}
    finding = schema["components"]["schemas"]["Finding"]["properties"]
    assert {"kind", "key", "title", "severity", "score", "data"} <= set(finding)
    assert "download_url" in schema["components"]["schemas"]["Report"]["properties"]


@pytest.mark.django_db
def test_start_is_documented_as_accepted_with_its_conflict(schema):
    responses = schema["paths"]["/api/investigations/{id}/start/"]["post"]["responses"]

    assert set(responses) == {"202", "404", "409"}


@pytest.mark.django_db
def test_the_filters_are_documented(schema):
    entities = query_parameters(schema, "/api/investigations/{id}/entities/")
    relationships = query_parameters(schema, "/api/investigations/{id}/relationships/")
    targets = query_parameters(schema, "/api/investigations/{id}/targets/")

    assert "kind" in entities and "kind" in relationships
    assert "succeeded" in targets["status"]["schema"]["enum"]


@pytest.mark.django_db
def test_the_schema_builds_without_a_warning(tmp_path):
    # --fail-on-warn turns every type drf-spectacular had to guess into an error.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/investigations/{id}/targets/" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_a_request_without_credentials_gets_401_with_the_scheme_to_use():
    response = APIClient().get("/api/investigations/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_token_and_a_browser_session_both_authenticate():
    user = UserFactory(username="scripted")
    token = Token.objects.create(user=user)
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with_session = APIClient()
    with_session.login(username="scripted", password="correct horse battery staple")

    assert with_token.get("/api/investigations/").status_code == 200
    assert with_session.get("/api/investigations/").status_code == 200


@pytest.mark.django_db
def test_a_deeply_nested_body_is_refused_with_a_json_400(api, settings):
    settings.DEBUG = False
    body = "[" * 100_000 + "]" * 100_000

    response = api.post("/api/investigations/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "JSON parse error - the document is nested too deeply."


@pytest.mark.django_db
def test_a_bulk_list_of_20000_long_targets_fits_in_one_request(
    api, sent, settings, django_capture_on_commit_callbacks
):
    assert settings.OSINT_BULK_MAX_TARGETS == 20_000
    # The longest target there is (512 characters), 20,000 times: about 10.4 MB.
    targets = [f"username:{n:05d}" + "x" * 498 for n in range(20_000)]
    body = json.dumps({"name": "Long list", "targets": targets})
    assert len(targets[0]) == 512 and len(body) > 10_000_000

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/investigations/bulk/", data=body, content_type="application/json")

    assert response.status_code == 202, response.content[:300]
    assert response.json()["inputs"] == 20_000
    assert len(sent[0][1]["args"][1]) == 20_000


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_in_json(api, settings):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x", "targets": ["github:nvie"] * 200})

    response = api.post("/api/investigations/bulk/", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than this server accepts (1000 bytes)" in response.json()["detail"]
    assert Investigation.objects.count() == 0


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_refused_in_json(api, settings):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    form = "&".join(f"f{n}=1" for n in range(50))

    response = api.post(
        "/api/investigations/", data=form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "number of GET/POST parameters" in response.json()["detail"]


def test_djangos_own_bad_request_answer_is_json_under_the_api_and_a_page_elsewhere(rf):
    # What Django answers when it refuses a request before any view runs.
    handler = get_resolver().resolve_error_handler(400)
    too_big = RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    api_answer = handler(rf.post("/api/investigations/bulk/"), too_big)
    page_answer = handler(rf.post("/investigations/new/"), too_big)

    assert api_answer.status_code == 413
    assert api_answer["Content-Type"] == "application/json"
    assert "larger than this server accepts" in json.loads(api_answer.content)["detail"]
    assert page_answer.status_code == 400
    assert page_answer["Content-Type"].startswith("text/html")
