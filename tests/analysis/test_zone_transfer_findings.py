import pytest

from analysis.models import Finding, Severity
from analysis.services import summarise_graph
from scraping.services.domain import PARTS, analyze_domain


@pytest.mark.django_db
def test_an_allowed_zone_transfer_becomes_a_high_finding_with_its_evidence(
    dns_replay, make_target, make_context
):
    target = make_target("domain", "zonetransfer.me")
    ctx = make_context(target, source="domain")
    analyze_domain(ctx, "zonetransfer.me", [p for p in PARTS if p[0] == "subdomains"])

    summarise_graph(ctx.investigation_id)
    summarise_graph(ctx.investigation_id)  # a second analysis replaces, never adds

    finding = Finding.objects.get(
        investigation_id=ctx.investigation_id, kind="zone_transfer_allowed"
    )
    assert finding.key == "zonetransfer.me"
    assert finding.severity == Severity.HIGH
    assert finding.data["name_servers"] == ["nsztm1.digi.ninja", "nsztm2.digi.ninja"]
    assert sorted(e.key for e in finding.entities.all()) == [
        "nsztm1.digi.ninja",
        "nsztm2.digi.ninja",
        "zonetransfer.me",
    ]
    assert [e.method for e in finding.evidence.all()] == ["AXFR"]


@pytest.mark.django_db
def test_a_refused_zone_transfer_makes_no_finding(dns_replay, make_target, make_context):
    ctx = make_context(make_target("domain", "github.com"), source="domain")
    analyze_domain(ctx, "github.com", [p for p in PARTS if p[0] == "subdomains"])

    summarise_graph(ctx.investigation_id)

    assert not Finding.objects.filter(kind="zone_transfer_allowed").exists()
