import time
from datetime import UTC, datetime

import pytest

from investigations.errors import TransientError
from investigations.models import Entity, Evidence, Relationship
from investigations.services.graph import GraphWriter
from replay.http import Reply
from scraping.clients.whois import WhoisClient
from scraping.services.domain import registration
from tests.factories import graph_counts

THIN_COM = """\
   Domain Name: EXAMPLE-THIN.COM
   Registry Domain ID: 2336799_DOMAIN_COM-VRSN
   Registrar WHOIS Server: whois.registrar.test
   Registrar URL: http://www.registrar.test
   Updated Date: 2023-08-14T07:01:38Z
   Creation Date: 1995-08-14T04:00:00Z
   Registry Expiry Date: 2024-08-13T04:00:00Z
   Registrar: Example Registrar, Inc.
   Registrar IANA ID: 9999
   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited
   Name Server: A.IANA-SERVERS.NET
   Name Server: B.IANA-SERVERS.NET
   DNSSEC: signedDelegation
"""
REGISTRAR_ANSWER = """\
Domain Name: example-thin.com
Registrar: Example Registrar, Inc.
Registrant Organization: Example Holdings Ltd
Registrant Country: GB
"""


def _writer(ctx):
    return GraphWriter(ctx.investigation_id, ctx.target_id, "domain")


def _domain(ctx, name):
    return Entity.objects.get(investigation_id=ctx.investigation_id, kind="domain", key=name)


@pytest.mark.django_db
def test_rdap_follows_the_bootstrap_then_the_registrars_related_link(
    rdap_replay, whois_replay, domain_context
):
    ctx = domain_context("google.com")

    result = registration.collect(ctx, _writer(ctx), "google.com")

    assert result["source"] == "rdap"
    paths = [r.path for r in rdap_replay.requests]
    assert paths == [
        "/rdap.verisign.com/com/v1/domain/google.com",
        "/rdap.markmonitor.com/rdap/domain/GOOGLE.COM",
    ]
    attributes = _domain(ctx, "google.com").attributes
    assert attributes["registrar"] == "MarkMonitor Inc."
    assert attributes["registrar_iana_id"] == "292"
    # Dates are the registry's; the registrant is what only the registrar publishes.
    assert attributes["registered_at"] == "1997-09-15T04:00:00+00:00"
    assert attributes["expires_at"] == "2028-09-14T04:00:00+00:00"
    assert attributes["registrant_organization"] == "Google LLC"
    assert attributes["registrant_country"] == "US"
    assert attributes["registration_dnssec"] == "unsigned"
    assert attributes["registered_name_servers"] == [
        "ns1.google.com",
        "ns2.google.com",
        "ns3.google.com",
        "ns4.google.com",
    ]
    assert whois_replay.queries == []
    evidence = Evidence.objects.filter(investigation_id=ctx.investigation_id, source="rdap")
    assert evidence.count() == 2


@pytest.mark.django_db
def test_registrar_name_servers_and_registrant_become_linked_entities(
    rdap_replay, whois_replay, domain_context
):
    ctx = domain_context("google.com")

    registration.collect(ctx, _writer(ctx), "google.com")

    links = {
        (r.kind, r.target.kind, r.target.key)
        for r in Relationship.objects.filter(investigation_id=ctx.investigation_id)
    }
    assert ("registered_with", "organization", "registrar:292") in links
    assert ("registered_to", "organization", "company:google llc") in links
    assert ("has_name_server", "host", "ns1.google.com") in links
    assert len(links) == 6


@pytest.mark.django_db
def test_a_second_run_adds_nothing(rdap_replay, whois_replay, domain_context):
    ctx = domain_context("google.com")
    registration.collect(ctx, _writer(ctx), "google.com")
    counts = graph_counts()

    registration.collect(ctx, _writer(ctx), "google.com")

    assert graph_counts() == counts


@pytest.mark.django_db
def test_an_rdap_404_means_the_registry_holds_no_such_domain(
    rdap_replay, whois_replay, domain_context
):
    ctx = domain_context("no-such-name-here.com")

    result = registration.collect(ctx, _writer(ctx), "no-such-name-here.com")

    assert result["state"] == "available"
    assert _domain(ctx, "no-such-name-here.com").attributes["registration_state"] == "available"
    assert not Relationship.objects.filter(investigation_id=ctx.investigation_id).exists()
    assert whois_replay.queries == []


@pytest.mark.django_db
def test_rdap_failing_falls_back_to_whois_with_a_note(rdap_replay, whois_replay, domain_context):
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(503, "busy"))
    whois_replay.add("example-thin.com", THIN_COM)
    ctx = domain_context("example-thin.com")

    result = registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert result["source"] == "whois"
    assert any("RDAP failed" in note and "503" in note for note in ctx.notes)
    attributes = _domain(ctx, "example-thin.com").attributes
    assert attributes["registrar"] == "Example Registrar, Inc."
    assert attributes["registered_at"] == "1995-08-14T04:00:00+00:00"
    assert attributes["registration_dnssec"] == "signed"


@pytest.mark.django_db
def test_whois_asks_iana_then_the_registry_then_the_registrar_it_refers_to(
    rdap_replay, whois_replay, domain_context, settings
):
    settings.RDAP_URL = None  # reached through the guard below: no RDAP at all
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    settings.RDAP_URL = rdap_replay.url
    whois_replay.add("example-thin.com", THIN_COM)
    whois_replay.add("example-thin.com", REGISTRAR_ANSWER, registrar=True)
    ctx = domain_context("example-thin.com")

    registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert whois_replay.queries == ["com", "domain example-thin.com", "example-thin.com"]
    attributes = _domain(ctx, "example-thin.com").attributes
    assert attributes["registrant_organization"] == "Example Holdings Ltd"
    assert attributes["registrant_country"] == "GB"
    assert attributes["expires_at"] == "2024-08-13T04:00:00+00:00"
    urls = set(
        Evidence.objects.filter(source="whois", investigation_id=ctx.investigation_id).values_list(
            "url", flat=True
        )
    )
    assert urls == {
        "whois://whois.iana.org/com",
        "whois://whois.verisign-grs.com/domain example-thin.com",
        "whois://whois.registrar.test/example-thin.com",
    }


@pytest.mark.django_db
def test_a_tld_without_rdap_goes_straight_to_whois(rdap_replay, whois_replay, domain_context):
    ctx = domain_context("google.it")

    result = registration.collect(ctx, _writer(ctx), "google.it")

    assert result["source"] == "whois"
    assert rdap_replay.requests == []
    assert any("names no RDAP server" in note for note in ctx.notes)
    attributes = _domain(ctx, "google.it").attributes
    assert attributes["registered_at"] == "1999-12-10T00:00:00+00:00"
    assert attributes["registrant_organization"] == "Google Ireland Holdings Unlimited Company"


@pytest.mark.django_db
def test_a_whois_rate_limit_is_transient_and_leaves_good_data_alone(
    rdap_replay, whois_replay, domain_context
):
    ctx = domain_context("google.it")
    registration.collect(ctx, _writer(ctx), "google.it")
    before = _domain(ctx, "google.it").attributes
    # The recorded AFNIC text ends in "No entries found", which must not read as "available".
    throttled = (
        "%% RL Net [##########] - RL IP [..........]\n%%\n%% Too many requests...\n%%\n\n"
        "%% No entries found in the AFNIC Database.\n"
    )
    whois_replay.add("google.it", throttled)

    with pytest.raises(TransientError) as caught:
        registration.collect(ctx, _writer(ctx), "google.it")

    assert "rate limit or quota" in str(caught.value)
    assert _domain(ctx, "google.it").attributes == before
    assert before["registration_state"] == "registered"


@pytest.mark.django_db
def test_a_rate_limited_registrar_server_keeps_the_registrys_answer(
    rdap_replay, whois_replay, domain_context
):
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    whois_replay.add("example-thin.com", THIN_COM)
    whois_replay.add(
        "example-thin.com",
        "WHOIS LIMIT EXCEEDED - SEE WWW.PIR.ORG/WHOIS FOR DETAILS\n",
        registrar=True,
    )
    ctx = domain_context("example-thin.com")

    registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert any("whois.registrar.test" in note and "rate limit" in note for note in ctx.notes)
    assert _domain(ctx, "example-thin.com").attributes["registrar"] == "Example Registrar, Inc."


@pytest.mark.django_db
def test_an_ambiguous_date_is_kept_as_written_and_noted(rdap_replay, whois_replay, domain_context):
    text = THIN_COM.replace("2024-08-13T04:00:00Z", "07/08/2024").replace(
        "Registrar WHOIS Server: whois.registrar.test\n", ""
    )
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    whois_replay.add("example-thin.com", text)
    ctx = domain_context("example-thin.com")

    registration.collect(ctx, _writer(ctx), "example-thin.com")

    attributes = _domain(ctx, "example-thin.com").attributes
    assert "expires_at" not in attributes
    assert attributes["registration_unread_dates"] == [
        {"field": "expiry", "text": "07/08/2024", "reason": "ambiguous"}
    ]
    assert any("'07/08/2024' is ambiguous" in note for note in ctx.notes)


@pytest.mark.django_db
def test_an_oversized_whois_answer_is_cut_off_and_said_so(
    rdap_replay, whois_replay, domain_context, settings
):
    settings.WHOIS_MAX_BYTES = 4096
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    whois_replay.add("example-thin.com", THIN_COM + ("% padding line\n" * 2000))
    ctx = domain_context("example-thin.com")

    registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert any("cut off at the size limit" in note for note in ctx.notes)
    evidence = Evidence.objects.get(url="whois://whois.verisign-grs.com/domain example-thin.com")
    assert evidence.truncated is True
    assert evidence.body_size == 4096


@pytest.mark.django_db
def test_a_slow_whois_answer_is_cut_off_at_the_time_limit(
    rdap_replay, whois_replay, domain_context, settings
):
    settings.WHOIS_TOTAL_TIMEOUT = 0.5
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    whois_replay.add("example-thin.com", THIN_COM * 4, drip=0.3)
    ctx = domain_context("example-thin.com")

    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert str(caught.value) == (
        "The answer from the WHOIS server whois.verisign-grs.com was still arriving after "
        "0.5 s; cut off"
    )
    assert time.monotonic() - started < 1.5


@pytest.mark.django_db
def test_an_oversized_rdap_answer_is_refused_and_whois_used(
    rdap_replay, whois_replay, domain_context, settings
):
    settings.HTTP_MAX_BODY_BYTES = 1024
    rdap_replay.queue(
        "rdap.verisign.com",
        "/com/v1/domain/example-thin.com",
        Reply(200, b'{"objectClassName": "domain", "x": "' + b"a" * 5000 + b'"}'),
    )
    whois_replay.add("example-thin.com", THIN_COM)
    ctx = domain_context("example-thin.com")

    result = registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert result["source"] == "whois"
    assert any("larger than the limit" in note for note in ctx.notes)


@pytest.mark.django_db
def test_a_whois_server_named_by_an_answer_on_a_private_address_is_refused(whois_replay, settings):
    """A referral (or IANA's answer) could name an internal host: checked like any."""
    settings.ALLOW_PRIVATE_ADDRESSES = False
    referred = whois_replay.address.replace("127.0.0.1", "localhost")

    with pytest.raises(Exception) as caught:
        WhoisClient().ask(referred, "example-thin.com")

    assert "private, loopback or link-local" in str(caught.value)
    assert whois_replay.queries == []


@pytest.mark.django_db
def test_the_whois_server_from_settings_is_trusted_on_a_private_address(
    rdap_replay, whois_replay, domain_context, settings
):
    rdap_replay.queue("rdap.verisign.com", "/com/v1/domain/example-thin.com", Reply(500, ""))
    settings.ALLOW_PRIVATE_ADDRESSES = False
    ctx = domain_context("example-thin.com")

    registration.collect(ctx, _writer(ctx), "example-thin.com")

    assert whois_replay.queries
    assert ctx.notes  # RDAP failed, WHOIS answered


def test_expiry_dates_from_the_registry_are_aware():
    from scraping.registration.whois_text import parse_whois

    record = parse_whois("example-thin.com", THIN_COM)

    assert record.expiry == datetime(2024, 8, 13, 4, tzinfo=UTC)
