"""What the domain parts share: the DNS clients built from settings, DNS answers kept as
evidence, and the graph nodes for names and addresses."""

import ipaddress
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

from investigations.models import Entity, Evidence, EvidenceOutcome
from investigations.services.graph import GraphWriter, record_evidence

from ...clients.dns.bulk import BulkResolver
from ...clients.dns.resolver import DnsAnswer, DnsClient, Outcome, parse_servers, system_servers
from ...domains.names import to_unicode

DNS_EVIDENCE_SOURCE = "dns"
# Questions asked side by side by the DNS part; a handful keeps a resolver unbothered.
PARALLEL_QUESTIONS = 8

_EVIDENCE_OUTCOMES = {
    Outcome.ANSWER: EvidenceOutcome.OK,
    Outcome.NO_ANSWER: EvidenceOutcome.EMPTY,
    Outcome.NXDOMAIN: EvidenceOutcome.NOT_FOUND,
}


def resolver_servers() -> list[tuple[str, int]]:
    return parse_servers(settings.DNS_RESOLVERS) if settings.DNS_RESOLVERS else system_servers()


def dns_client() -> DnsClient:
    return DnsClient(
        resolver_servers(), timeout=settings.DNS_TIMEOUT, lifetime=settings.DNS_LIFETIME
    )


def bulk_resolver() -> BulkResolver:
    return BulkResolver(
        resolver_servers(),
        concurrency=settings.DNS_BRUTEFORCE_CONCURRENCY,
        timeout=settings.DNS_BRUTEFORCE_TIMEOUT,
        attempts=settings.DNS_BRUTEFORCE_ATTEMPTS,
    )


def ask_all(client: DnsClient, questions: list[tuple[str, str, bool]]) -> list[DnsAnswer]:
    """Ask several questions side by side; answers in the order of the questions."""
    with ThreadPoolExecutor(max_workers=PARALLEL_QUESTIONS) as pool:
        return list(pool.map(lambda q: client.query(q[0], q[1], dnssec=q[2]), questions))


def record_dns(
    writer: GraphWriter,
    *,
    address: str,
    text: str,
    outcome: Outcome | str,
    error: str = "",
    method: str = "QUERY",
) -> Evidence:
    """A DNS exchange kept as evidence, filed under ``dns://resolver/name/TYPE``."""
    return record_evidence(
        investigation_id=writer.investigation_id,
        target_id=writer.target_id,
        source=DNS_EVIDENCE_SOURCE,
        url=address,
        method=method,
        status_code=None,
        body=text.encode("utf-8", "replace"),
        outcome=_EVIDENCE_OUTCOMES.get(outcome, EvidenceOutcome.ERROR),
        error=error,
    )


def record_answer(writer: GraphWriter, answer: DnsAnswer) -> Evidence:
    return record_dns(
        writer,
        address=answer.address,
        text=answer.text,
        outcome=answer.outcome,
        error=answer.error,
    )


def domain_node(
    writer: GraphWriter,
    name: str,
    *,
    attributes: dict[str, Any] | None = None,
    evidence=(),
) -> Entity:
    """A domain or host name, keyed by its ASCII form and shown in Unicode."""
    shown = to_unicode(name)
    return writer.entity(
        "domain",
        name,
        name=shown,
        attributes={"ascii": name, "unicode": shown, **(attributes or {})},
        evidence=evidence,
    )


def ip_node(writer: GraphWriter, address: str, *, evidence=(), ptr: list[str] | None = None):
    parsed = ipaddress.ip_address(address)
    attributes: dict[str, Any] = {"version": parsed.version, "global": parsed.is_global}
    if ptr is not None:
        attributes["ptr"] = ptr
        attributes["ptr_unicode"] = [to_unicode(name) for name in ptr]
    return writer.entity(
        "ip", parsed.compressed, name=parsed.compressed, attributes=attributes, evidence=evidence
    )


def link_addresses(writer: GraphWriter, node: Entity, addresses: list[str], evidence=()) -> int:
    """``node -resolves_to-> ip`` for each address; returns how many."""
    for address in addresses:
        ip = ip_node(writer, address, evidence=evidence)
        rdtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
        writer.link(node, ip, "resolves_to", attributes={"type": rdtype}, evidence=evidence)
    return len(addresses)
