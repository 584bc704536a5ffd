"""Registration data of a domain: RDAP first, WHOIS when RDAP cannot answer.

RDAP is asked at the server IANA's bootstrap registry names, and the registrar's server
its answer links to. When the TLD has no RDAP service or RDAP fails, WHOIS is asked over
port 43: the registry's server (as IANA names it), then the registrar's server it refers
to. Either way one normalised record is written: attributes on the domain entity, the
registrar and registrant organisations and the name servers as entities with their
relationships, and every raw answer as evidence.

A WHOIS rate-limit or quota answer raises ``TransientError`` before anything is written,
so it is retried later and never turns into "not registered" or empties good data. A
date that cannot be read without guessing is kept as written and noted.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from investigations.errors import CollectionError, NotFoundError, TransientError
from investigations.models import Evidence
from investigations.services.graph import GraphWriter, record_evidence
from investigations.tasking import JobContext

from ... import platforms
from ...clients.rdap import NoRdapService, RdapClient
from ...clients.whois import WhoisAnswer, WhoisClient, referral_server
from ...http import HttpClient, HttpResponse
from ...registration.rdap import parse_rdap, related_links
from ...registration.record import AVAILABLE, RegistrationRecord
from ...registration.whois_text import parse_whois

logger = logging.getLogger(__name__)

RDAP_SOURCE = "rdap"
WHOIS_SOURCE = "whois"
# Registrar links followed after the registry's answer (RDAP clients follow one).
MAX_RELATED = 1


def collect(ctx: JobContext, writer: GraphWriter, domain: str) -> dict[str, Any]:
    """Registration data of ``domain`` (a lower-case A-label) into the graph."""
    record, evidence = _from_rdap(ctx, writer, domain)
    if record is None:
        record, evidence = _from_whois(ctx, writer, domain)
    ctx.progress(90)

    _write(writer, domain, record, evidence)
    for raw in record.raw_dates:
        ctx.note(
            f"registration: the {raw.field} date {raw.text!r} is {raw.reason}; kept as written"
        )
    return {
        "source": record.source,
        "state": record.state,
        "registrar": record.registrar,
        "name_servers": len(record.name_servers),
    }


def _from_rdap(
    ctx: JobContext, writer: GraphWriter, domain: str
) -> tuple[RegistrationRecord | None, list[Evidence]]:
    rdap_writer = GraphWriter(writer.investigation_id, writer.target_id, RDAP_SOURCE)
    responses: list[HttpResponse] = []
    client = RdapClient(
        http=HttpClient(platform=platforms.RDAP, cache_answers=True),
        base_override=settings.RDAP_URL,
        on_response=responses.append,
    )
    try:
        answer = client.get(client.domain_url(domain), domain)
    except NotFoundError as exc:
        evidence = [rdap_writer.record(r) for r in responses]
        ctx.note(f"registration: {exc}; the registry reports the domain as not registered")
        return RegistrationRecord(domain, RDAP_SOURCE, state=AVAILABLE), evidence
    except NoRdapService as exc:
        ctx.note(f"registration: {exc}; WHOIS asked instead")
        return None, []
    except CollectionError as exc:
        for response in responses:
            rdap_writer.record(response)  # the failed answer stays as evidence
        ctx.note(f"registration: RDAP failed ({exc}); WHOIS asked instead")
        return None, []
    try:
        record = parse_rdap(domain, answer.data, server=urlsplit(answer.url).netloc)
    except ValueError as exc:
        ctx.note(f"registration: the RDAP answer could not be read ({exc}); WHOIS asked instead")
        return None, []
    evidence = [rdap_writer.record(answer.response)]
    ctx.progress(40)

    for link in related_links(answer.data)[:MAX_RELATED]:
        try:
            related = client.get(link, f"{domain} at the registrar")
            record.fill_from(parse_rdap(domain, related.data, server=urlsplit(link).netloc))
        except (CollectionError, ValueError) as exc:
            for response in responses[1:]:
                rdap_writer.record(response)
            ctx.note(f"registration: the registrar's RDAP answer ({link}) failed: {exc}")
            continue
        evidence.append(rdap_writer.record(related.response))
    return record, evidence


def _from_whois(
    ctx: JobContext, writer: GraphWriter, domain: str
) -> tuple[RegistrationRecord, list[Evidence]]:
    evidence: list[Evidence] = []

    def keep(answer: WhoisAnswer) -> None:
        evidence.append(_record_whois(writer, answer))

    client = WhoisClient(
        override=settings.WHOIS_SERVER,
        timeout=settings.WHOIS_TIMEOUT,
        total_timeout=settings.WHOIS_TOTAL_TIMEOUT,
        max_bytes=settings.WHOIS_MAX_BYTES,
        on_answer=keep,
    )
    registry = client.registry_server(domain)
    first = client.ask(registry, client.query_for(registry, domain))
    if first.truncated:
        ctx.note(f"registration: the WHOIS answer of {registry} was cut off at the size limit")
    record = parse_whois(domain, first.text, server=registry)
    ctx.progress(60)

    referred = referral_server(first.text, registry) if record.registered else None
    if referred:
        try:
            second = client.ask(referred, client.query_for(referred, domain))
            record.fill_from(parse_whois(domain, second.text, server=referred))
        except TransientError as exc:
            ctx.note(f"registration: the registrar's WHOIS server {referred}: {exc}")
        except CollectionError as exc:
            ctx.note(f"registration: the registrar's WHOIS answer ({referred}): {exc}")
    # The IANA answer is evidence too, but the registry's and registrar's come first.
    return record, evidence


def _record_whois(writer: GraphWriter, answer: WhoisAnswer) -> Evidence:
    return record_evidence(
        investigation_id=writer.investigation_id,
        target_id=writer.target_id,
        source=WHOIS_SOURCE,
        url=answer.url,
        status_code=None,
        body=answer.body,
        headers={"content-type": "text/plain"},
        method="WHOIS",
        truncated=answer.truncated,
        fetched_at=answer.fetched_at,
    )


def registration_attributes(record: RegistrationRecord) -> dict[str, Any]:
    """The record as attributes of the domain entity, each named for what it is; empty
    values are left out so they never overwrite an earlier, fuller answer."""
    names = {
        "state": "registration_state",
        "source": "registration_source",
        "server": "registration_server",
        "registrar": "registrar",
        "registrar_iana_id": "registrar_iana_id",
        "registrar_url": "registrar_url",
        "created": "registered_at",
        "updated": "registration_updated_at",
        "expiry": "expires_at",
        "name_servers": "registered_name_servers",
        "statuses": "registration_statuses",
        "dnssec": "registration_dnssec",
        "registrant_organization": "registrant_organization",
        "registrant_country": "registrant_country",
        "raw_dates": "registration_unread_dates",
    }
    return {names[key]: value for key, value in record.attributes().items() if key in names}


def _write(
    writer: GraphWriter, domain: str, record: RegistrationRecord, evidence: list[Evidence]
) -> None:
    entity = writer.entity(
        "domain", domain, attributes=registration_attributes(record), evidence=evidence
    )
    if not record.registered:
        return
    if record.registrar:
        key = record.registrar_iana_id or record.registrar
        registrar = writer.entity(
            "organization",
            f"registrar:{key}",
            name=record.registrar,
            attributes={
                "role": "registrar",
                "iana_id": record.registrar_iana_id,
                "url": record.registrar_url,
            },
            evidence=evidence,
        )
        writer.link(entity, registrar, "registered_with", evidence=evidence)
    for name in record.name_servers:
        host = writer.entity("host", name, name=name, evidence=evidence)
        writer.link(
            entity,
            host,
            "has_name_server",
            attributes={"seen_in": record.source},
            evidence=evidence,
        )
    if record.registrant_organization:
        organization = writer.entity(
            "organization",
            f"company:{record.registrant_organization}",
            name=record.registrant_organization,
            attributes={"country": record.registrant_country},
            confidence=0.9,
            evidence=evidence,
        )
        writer.link(entity, organization, "registered_to", evidence=evidence)
