import json
from pathlib import Path

import pytest

from investigations.services.graph import upsert_entity, upsert_relationship
from reports.models import Report
from reports.services import build_summary_report
from tests.factories import TargetFactory


@pytest.mark.django_db
def test_the_json_report_holds_every_row_and_the_html_one_the_first_few(investigation, settings):
    settings.REPORT_HTML_MAX_ROWS = 3
    TargetFactory(investigation=investigation, value="nvie")
    TargetFactory(investigation=investigation, value="ghost-user-x", status="not_found")
    hub = upsert_entity(investigation.pk, "account", "github:hub", name="hub")
    for n in range(5):
        repo = upsert_entity(investigation.pk, "repository", f"github:hub/r{n}", name=f"hub/r{n}")
        upsert_relationship(hub, repo, "owns")

    build_summary_report(investigation.pk)
    build_summary_report(investigation.pk)  # building again replaces the files

    report = json.loads(Path(Report.objects.get(format="json").path).read_text())
    assert [e["key"] for e in report["entities"]] == ["github:hub"] + [
        f"github:hub/r{n}" for n in range(5)
    ]
    assert len(report["relationships"]) == 5
    assert report["targets"][0]["target"] == "github:nvie"
    html = Path(Report.objects.get(format="html").path).read_text()
    assert "Entities (6)" in html and "The first 3 are shown; the JSON report holds all 6." in html
    assert html.count("<td>repository</td>") == 2
    assert "<td>Not found</td>" in html and "not_found" not in html  # statuses as read
    assert Report.objects.count() == 2
    assert not list(Path(Report.objects.get(format="json").path).parent.glob("*.partial"))


def test_an_empty_list_is_written_as_an_empty_array():
    import io

    from reports.services import write_json_document

    out = io.StringIO()
    write_json_document({"a": iter([]), "b": iter([{"x": 1}]), "c": {"d": [1]}}, out)

    assert json.loads(out.getvalue()) == {"a": [], "b": [{"x": 1}], "c": {"d": [1]}}


@pytest.mark.django_db
def test_a_report_downloads_with_the_api_token_of_its_owner_only(investigation, client):
    from rest_framework.authtoken.models import Token

    from tests.factories import UserFactory

    owner, other = UserFactory(username="owner"), UserFactory(username="other")
    investigation.owner = owner
    investigation.save()
    build_summary_report(investigation.pk)
    url = f"/reports/{Report.objects.get(format='json').pk}/download/"

    allowed = client.get(url, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    refused = client.get(url, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other).key}")
    bad = client.get(url, HTTP_AUTHORIZATION="Token nonsense")
    anonymous = client.get(url)

    assert (
        allowed.status_code == 200
        and json.loads(b"".join(allowed.streaming_content))["id"] == investigation.pk
    )
    assert refused.status_code == 404
    assert bad.status_code == 401
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
