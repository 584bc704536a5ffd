"""Domain analysis end to end against the loopback DNS and certificate-search servers."""

import pytest

from investigations.errors import TransientError
from investigations.models import Entity, Evidence, EvidenceOutcome, Relationship
from replay.http import Reply
from scraping.services.domain import PARTS, analyze_domain


def entity(ctx, kind, key):
    return Entity.objects.get(investigation_id=ctx.investigation_id, kind=kind, key=key)


def linked(ctx, kind, target_key):
    return sorted(
        Relationship.objects.filter(
            investigation_id=ctx.investigation_id, kind=kind, target__key=target_key
        ).values_list("source__key", flat=True)
    )


@pytest.fixture
def run(domain_world, make_target, make_context):
    def run(domain, parts=None):
        ctx = make_context(make_target("domain", domain), source="domain")
        return ctx, analyze_domain(ctx, domain, parts)

    return run


@pytest.mark.django_db
def test_the_parts_run_in_order_cheap_ones_first():
    assert [name for name, _ in PARTS] == [
        "dns",
        "registration",
        "subdomains",
        "certificates",
        "web",
    ]


@pytest.mark.django_db
def test_github_records_email_posture_and_addresses_are_collected(run):
    ctx, result = run("github.com")

    github = entity(ctx, "domain", "github.com")
    dns = github.attributes["dns"]
    assert dns["A"] == ["140.82.121.3"]
    assert "1 aspmx.l.google.com." in dns["MX"]
    assert len(dns["NS"]) == 8 and len(dns["TXT"]) == 17
    assert '0 issuewild "digicert.com"' in dns["CAA"]
    assert github.attributes["dns_outcomes"]["AAAA"] == "no_answer"
    assert github.attributes["dns_outcomes"]["CNAME"] == "no_answer"
    assert github.attributes["exists_in_dns"] is True
    assert github.attributes["dnssec"]["signed"] is False
    assert github.attributes["spf"]["all"] == "softfail"
    assert github.attributes["dmarc"]["present"] is False
    assert github.attributes["mta_sts"] == {"present": False}

    address = entity(ctx, "ip", "140.82.121.3")
    assert address.attributes["ptr"] == ["lb-140-82-121-3-fra.github.com"]
    assert linked(ctx, "resolves_to", "140.82.121.3") == ["github.com"]
    assert "aspmx.l.google.com" in [
        r.target.key for r in Relationship.objects.filter(source=github, kind="mail_server")
    ]
    assert result["dns"]["records"] == 37
    assert ctx.steps["dns"]["state"] == "succeeded"


@pytest.mark.django_db
def test_every_dns_answer_is_kept_as_evidence_under_a_dns_address(run, dns_replay):
    ctx, _ = run("github.com")

    evidence = Evidence.objects.get(
        investigation_id=ctx.investigation_id,
        url=f"dns://{dns_replay.address}/github.com/AAAA",
    )
    assert evidence.source == "dns" and evidence.method == "QUERY"
    assert evidence.outcome == EvidenceOutcome.EMPTY
    assert "github.com. IN AAAA" in evidence.body_text()
    nxdomain = Evidence.objects.get(
        investigation_id=ctx.investigation_id,
        url=f"dns://{dns_replay.address}/_mta-sts.github.com/TXT",
    )
    assert nxdomain.outcome == EvidenceOutcome.NOT_FOUND
    assert "NXDOMAIN" in nxdomain.body_text()


@pytest.mark.django_db
def test_subdomains_found_by_the_wordlist_are_resolved_and_linked(run):
    ctx, result = run("github.com")

    subdomains = linked(ctx, "subdomain_of", "github.com")
    assert {"www.github.com", "docs.github.com", "community.github.com"} <= set(subdomains)
    docs = entity(ctx, "domain", "docs.github.com")
    assert docs.attributes["found_by_wordlist"] is True
    assert sorted(docs.attributes["addresses"]) == [f"185.199.{n}.154" for n in range(108, 112)]
    assert linked(ctx, "resolves_to", "185.199.108.154") == ["docs.github.com"]
    assert result["subdomains"]["wildcard"] is False
    assert result["subdomains"]["wordlist_size"] == 300


@pytest.mark.django_db
def test_certificate_names_split_on_new_lines_and_wildcards_are_kept_but_never_asked(
    run, dns_replay
):
    ctx, result = run("github.com")

    # "skyline.github.com\nwww.skyline.github.com" in one row gives both names.
    assert entity(ctx, "domain", "www.skyline.github.com").attributes["found_by_certificates"]
    wildcard = entity(ctx, "domain", "*.registry.github.com")
    assert wildcard.attributes["wildcard"] is True
    assert "*.registry.github.com" in linked(ctx, "subdomain_of", "github.com")
    assert not any("*" in name for name, _, _ in dns_replay.queries)
    # Names from old certificates are kept with their outcome even when gone from the DNS.
    assert entity(ctx, "domain", "skyline.github.com").attributes["dns_outcome"] == "nxdomain"
    assert entity(ctx, "domain", "api.security.github.com").attributes["addresses"] == [
        "140.82.113.22"
    ]
    assert result["certificates"]["certificates"] == 11
    assert result["certificates"]["wildcard_names"] == 2


@pytest.mark.django_db
def test_certificates_become_entities_with_issuer_and_validity(run):
    ctx, _ = run("github.com")

    certificate = entity(ctx, "certificate", "ct:185756:071a522c3982234f64fdd14b8f4b9577")
    assert certificate.attributes["not_before"] == "2023-01-10T00:00:00+00:00"
    assert certificate.attributes["not_after"] == "2024-01-24T23:59:59+00:00"
    assert certificate.attributes["covered_names"] == [
        "skyline.github.com",
        "www.skyline.github.com",
    ]
    issuer = Relationship.objects.get(source=certificate, kind="issued_by").target
    assert issuer.name == "DigiCert TLS RSA SHA256 2020 CA1"
    assert linked(ctx, "covers", "skyline.github.com") == [certificate.key]


@pytest.mark.django_db
def test_an_allowed_zone_transfer_is_a_finding_and_its_names_are_used(run):
    ctx, result = run("zonetransfer.me")

    assert result["subdomains"]["zone_transfers_allowed"] == 2
    assert linked(ctx, "allows_zone_transfer", "zonetransfer.me") == [
        "nsztm1.digi.ninja",
        "nsztm2.digi.ninja",
    ]
    domain = entity(ctx, "domain", "zonetransfer.me")
    assert domain.attributes["zone_transfer_allowed_by"] == [
        "nsztm1.digi.ninja",
        "nsztm2.digi.ninja",
    ]
    assert any("hands out the whole zone zonetransfer.me" in note for note in ctx.notes)
    office = entity(ctx, "domain", "canberra-office.zonetransfer.me")
    assert office.attributes["found_by_zone_transfer"] is True
    assert office.attributes["addresses"] == ["202.14.81.230"]
    # A hostile record is kept as text, nothing more.
    hostile = entity(ctx, "domain", "cmdexec.zonetransfer.me")
    assert hostile.attributes["dns_outcome"] == "no_answer"
    transfer = Evidence.objects.get(investigation_id=ctx.investigation_id, method="AXFR")
    assert '"; ls"' in transfer.body_text()


@pytest.mark.django_db
def test_a_refused_zone_transfer_is_recorded_on_the_name_server(run):
    ctx, result = run("github.com")

    assert result["subdomains"]["zone_transfers_allowed"] == 0
    assert entity(ctx, "domain", "dns1.p08.nsone.net").attributes["zone_transfer"] == "refused"
    assert linked(ctx, "allows_zone_transfer", "github.com") == []


@pytest.mark.django_db
def test_a_wildcard_zone_yields_no_false_subdomains(run):
    ctx, result = run("wildcard.example")

    assert sorted(linked(ctx, "subdomain_of", "wildcard.example")) == [
        "dev.wildcard.example",
        "mail.wildcard.example",
        "ns1.wildcard.example",
        "www.wildcard.example",
    ]
    assert result["subdomains"]["wildcard"] is True
    assert result["subdomains"]["wildcard_echoes"] > 250
    assert entity(ctx, "domain", "wildcard.example").attributes["wildcard_answers"] == [
        "192.0.2.80",
        "2001:db8::80",
    ]


@pytest.mark.django_db
def test_a_zone_transfer_to_a_private_address_is_not_tried_unless_allowed(run, settings):
    settings.DNS_NAMESERVER_OVERRIDE = None
    settings.ALLOW_PRIVATE_ADDRESSES = False

    ctx, _ = run("xn--kche-0ra.de", parts=[p for p in PARTS if p[0] == "subdomains"])

    assert any(
        "zone transfer from ns1.xn--kche-0ra.de not tried: its address 192.0.2.53 is private"
        in note
        for note in ctx.notes
    )


@pytest.mark.django_db
def test_one_failing_part_leaves_the_others(run, ct_replay):
    ct_replay.queue(Reply(502, "<html>502 Bad Gateway</html>", {"content-type": "text/html"}))

    ctx, result = run("github.com")

    assert ctx.steps["certificates"]["state"] == "failed"
    assert "answered HTTP 502" in ctx.steps["certificates"]["error"]
    assert ctx.steps["dns"]["state"] == ctx.steps["subdomains"]["state"] == "succeeded"
    assert "certificates" not in result
    assert entity(ctx, "domain", "www.github.com")


@pytest.mark.django_db
def test_a_servfail_domain_fails_its_dns_parts_with_the_reason(run):
    ctx, _ = run("dnssec-failed.org")

    assert ctx.steps["dns"]["state"] == "failed"
    assert "(servfail)" in ctx.steps["dns"]["error"]
    assert ctx.steps["certificates"]["state"] == "succeeded"


@pytest.mark.django_db
def test_when_every_part_fails_transiently_the_job_is_retried(
    dns_replay, make_target, make_context
):
    def timed_out(ctx, writer, domain):
        raise TransientError("No answer within 2 s")

    ctx = make_context(make_target("domain", "unanswered.example"), source="domain")

    with pytest.raises(TransientError, match="Every part of the analysis of unanswered.example"):
        analyze_domain(ctx, "unanswered.example", [("dns", timed_out), ("web", timed_out)])

    assert {step["state"] for step in ctx.steps.values()} == {"failed"}


@pytest.mark.django_db
def test_a_second_run_adds_nothing(run):
    ctx, _ = run("xn--kche-0ra.de")
    rows = [Entity, Relationship, Evidence]
    before = [m.objects.filter(investigation_id=ctx.investigation_id).count() for m in rows]

    analyze_domain(ctx, "xn--kche-0ra.de")

    after = [m.objects.filter(investigation_id=ctx.investigation_id).count() for m in rows]
    assert after == before


def test_the_same_answer_in_another_record_order_is_the_same_evidence_text():
    import dns.message
    import dns.rrset

    from scraping.clients.dns.resolver import message_text

    def answer(*servers):
        message = dns.message.make_response(dns.message.make_query("example.com", "NS"))
        message.answer.append(dns.rrset.from_text("example.com.", 300, "IN", "NS", *servers))
        return message

    first, second = (
        answer("b.ns.example.", "a.ns.example."),
        answer("a.ns.example.", "b.ns.example."),
    )

    assert message_text(first) == message_text(second)
    assert "id " not in message_text(first)
    assert message_text(first).index("a.ns.example") < message_text(first).index("b.ns.example")


@pytest.mark.django_db
def test_a_part_with_a_transient_fault_runs_again_alone_on_the_retry(
    domain_world, make_target, make_context
):
    from investigations.errors import TransientError

    calls = []

    def flaky(ctx, writer, domain):
        calls.append("flaky")
        if calls.count("flaky") == 1:
            raise TransientError("whois.example: quota exceeded, try again later", retry_after=30)
        return {"ok": True}

    def steady(ctx, writer, domain):
        calls.append("steady")
        return {"ok": True}

    parts = [("steady", steady), ("flaky", flaky)]
    ctx = make_context(make_target("domain", "github.com"), source="domain")
    ctx.retries_left = 1

    with pytest.raises(
        TransientError, match="1 parts of the analysis of github.com met transient faults"
    ) as raised:
        analyze_domain(ctx, "github.com", parts)
    assert raised.value.retry_after == 30

    # The runner keeps the finished steps for the next attempt, which skips them.
    retry = make_context(make_target("domain", "github.com"), source="domain")
    retry.previous_steps, retry.retries_left = ctx.steps, 0
    result = analyze_domain(retry, "github.com", parts)

    assert calls == ["steady", "flaky", "flaky"]
    assert result["steady"] == {"done_in_an_earlier_attempt": True}
    assert retry.steps["steady"]["earlier_attempt"] is True
    assert retry.steps["flaky"]["state"] == "succeeded"


@pytest.mark.django_db
def test_on_the_last_attempt_a_transient_part_leaves_the_target_partial(
    domain_world, make_target, make_context
):
    from investigations.errors import TransientError

    def rate_limited(ctx, writer, domain):
        raise TransientError("quota exceeded")

    ctx = make_context(make_target("domain", "github.com"), source="domain")
    ctx.retries_left = 0

    analyze_domain(ctx, "github.com", [("dns", lambda c, w, d: {}), ("registration", rate_limited)])

    assert ctx.steps["registration"] == {
        **ctx.steps["registration"],
        "state": "failed",
        "error": "quota exceeded",
    }


@pytest.mark.django_db
def test_not_registered_for_a_name_that_answers_in_dns_is_recorded_as_unknown(run):
    # The replay's registry holds no record of github.com, whose zone it serves.
    ctx, results = run("github.com")

    github = entity(ctx, "domain", "github.com")
    assert github.attributes["exists_in_dns"] is True
    assert github.attributes["registration_state"] == "unknown"
    # The job's result (seen in the admin's task results) says the same.
    assert results["registration"]["state"] == "unknown"
    assert results["registration"]["registry_said"] == "available"
    assert any("answers in DNS; its registration is recorded as unknown" in n for n in ctx.notes)
