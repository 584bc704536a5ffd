"""Targets typed in the admin are checked by the same parser as everywhere else."""

import pytest
from django.urls import reverse

from investigations.models import Investigation, Target
from tests.factories import InvestigationFactory, TargetFactory, UserFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def target_form(investigation, kind: str, value: str) -> dict:
    return {
        "investigation": investigation.pk,
        "kind": kind,
        "value": value,
        "status": "pending",
        "error": "",
        "summary": "{}",
    }


@pytest.mark.django_db
def test_a_target_added_in_the_admin_is_stored_normalised(admin_client):
    investigation = InvestigationFactory()

    response = admin_client.post(
        reverse("admin:investigations_target_add"),
        target_form(investigation, "github", "@OctoCat"),
    )

    assert response.status_code == 302
    assert [(t.kind, t.value) for t in Target.objects.all()] == [("github", "octocat")]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("github", "../../orgs/x/members?x=", "is not a GitHub user login"),
        ("github-repo", "a/b/../../c", "is not OWNER/NAME"),
        ("twitter", "alice", "Select a valid choice"),
    ],
)
@pytest.mark.django_db
def test_a_bad_target_is_refused_by_the_target_admin_with_the_reason(
    admin_client, kind, value, message
):
    investigation = InvestigationFactory()

    response = admin_client.post(
        reverse("admin:investigations_target_add"), target_form(investigation, kind, value)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Target.objects.count() == 0


@pytest.mark.django_db
def test_editing_a_target_in_the_admin_is_checked_too(admin_client):
    target = TargetFactory(value="nvie")

    response = admin_client.post(
        reverse("admin:investigations_target_change", args=[target.pk]),
        target_form(target.investigation, "github", "nvie/../../orgs/x"),
    )

    assert response.status_code == 200
    assert Target.objects.get(pk=target.pk).value == "nvie"


def inline_form(investigation: Investigation, rows: list[tuple[str, str]]) -> dict:
    data = {
        "name": investigation.name,
        "description": "",
        "status": investigation.status,
        "mode": investigation.mode,
        "options": "{}",
        "targets-TOTAL_FORMS": str(len(rows)),
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    for n, (kind, value) in enumerate(rows):
        data[f"targets-{n}-kind"] = kind
        data[f"targets-{n}-value"] = value
        data[f"targets-{n}-investigation"] = investigation.pk
    return data


@pytest.mark.django_db
def test_the_targets_inline_of_an_investigation_validates_and_normalises(admin_client):
    investigation = InvestigationFactory()
    url = reverse("admin:investigations_investigation_change", args=[investigation.pk])

    refused = admin_client.post(
        url, inline_form(investigation, [("github", "nvie"), ("github", "../../orgs/x")])
    )
    accepted = admin_client.post(
        url, inline_form(investigation, [("github", "NVIE"), ("domain", "hxxps://Example[.]com/a")])
    )

    assert refused.status_code == 200
    assert "is not a GitHub user login" in refused.content.decode()
    assert accepted.status_code == 302
    assert sorted(investigation.targets.values_list("kind", "value")) == [
        ("domain", "example.com"),
        ("github", "nvie"),
    ]
