"""The health endpoint: a status for anyone, the checks behind it for staff only."""

import pytest
from rest_framework.test import APIClient

from maintenance import services
from tests.factories import UserFactory


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def broker_down(monkeypatch):
    def refuse():
        raise ConnectionError("Error 111 connecting to 10.0.0.5:6379. Connection refused.")

    monkeypatch.setattr(services, "_broker", refuse)


@pytest.mark.django_db
def test_staff_see_every_check_with_its_detail():
    response = _client(UserFactory(username="admin", is_staff=True)).get("/api/health/")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "disk"}
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_failing_check_gives_others_degraded_and_503_without_its_error(broker_down, signed_in):
    user = UserFactory(username="analyst") if signed_in else None

    response = _client(user).get("/api/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}
    assert b"10.0.0.5" not in response.content


@pytest.mark.django_db
def test_staff_see_which_check_failed_and_why(broker_down):
    response = _client(UserFactory(username="admin", is_staff=True)).get("/api/health/")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {
        "ok": False,
        "error": "ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
    }
    assert body["checks"]["database"]["ok"] is True
