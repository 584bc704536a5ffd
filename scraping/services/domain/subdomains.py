"""The subdomains part: a zone transfer asked of every name server, then a wordlist brute
force, with a wildcard detected first so that it yields no false names.

A name server that hands out the zone is a finding in itself (the whole zone is public);
the names it gave are used like the others. Names are compared in their ASCII form, so
case and IDN spellings of one name are one name.
"""

import ipaddress
import logging
from typing import Any

from django.conf import settings

from investigations.errors import TransientError
from investigations.models import Entity
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...clients.dns.resolver import DEFINITE_OUTCOMES, DnsClient, Outcome, transfer_zone
from ...clients.dns.resolver import parse_servers as parse_server_list
from ...domains.names import is_within, parse_dns_name
from ...domains.wordlist import read_wordlist
from . import hosts
from .common import bulk_resolver, dns_client, domain_node, record_answer, record_dns

logger = logging.getLogger(__name__)


def collect(ctx: JobContext, writer: GraphWriter, domain: str) -> dict[str, Any]:
    """Zone transfers, then the brute force of the configured wordlist, all resolved."""
    client = dns_client()
    bulk = bulk_resolver()
    target = domain_node(writer, domain)

    ns_answer = client.query(domain, "NS")
    ns_evidence = record_answer(writer, ns_answer)
    if ns_answer.outcome == Outcome.NXDOMAIN:
        ctx.note(f"Subdomains: {domain} does not exist in the DNS; nothing below it to look for")
        return {"skipped": "nxdomain"}
    if ns_answer.outcome not in DEFINITE_OUTCOMES:
        raise TransientError(f"Could not list the name servers of {domain}: {ns_answer.outcome}")

    sources: dict[str, set[str]] = {}
    transfers = _try_transfers(ctx, writer, client, target, domain, ns_answer, ns_evidence)
    wildcard_entries = set()
    for name in transfers["names"]:
        if name.startswith("*."):
            wildcard_entries.add(name)
        else:
            sources.setdefault(name, set()).add(hosts.ZONE_TRANSFER)
    ctx.progress(10)

    wildcard = hosts.detect_wildcard(bulk, domain)
    if wildcard.active:
        ctx.note(
            f"Subdomains: {domain} has a wildcard record ({', '.join(sorted(wildcard.addresses)) or 'CNAME'}); "
            "names that only echo it are left out"
        )
    writer.entity(
        "domain",
        domain,
        attributes={
            "wildcard_dns": wildcard.active,
            "wildcard_answers": sorted(wildcard.addresses | wildcard.cnames),
        },
    )
    ctx.progress(15)

    words = _wordlist(ctx)
    for word in words:
        sources.setdefault(f"{word}.{domain}", set()).add(hosts.WORDLIST)
    answers = hosts.resolve_hosts(
        bulk,
        list(sources),
        on_progress=lambda done, total: ctx.progress(15 + 70 * done // max(total, 1)),
    )
    ctx.progress(85)
    counts = hosts.record_hosts(writer, target, answers, sources, wildcard, bulk)
    counts["wildcard_entries"] = hosts.record_wildcard_entries(writer, target, wildcard_entries)
    return {
        "wordlist_size": len(words),
        "questions": bulk.sent,
        "wildcard": wildcard.active,
        "zone_transfers_allowed": transfers["allowed"],
        **counts,
    }


# How much of the brute force each analysis mode asks for: quick stays within the
# first thousand words, comprehensive takes the 20,000-word list.
QUICK_WORDS = 1000
COMPREHENSIVE_LIST, COMPREHENSIVE_WORDS = "top-20000", 20000


def _wordlist(ctx: JobContext) -> list[str]:
    """The list and size for the investigation's mode, from settings; an investigation's
    own options (subdomain_wordlist, subdomain_wordlist_size) win."""
    from investigations.models import Investigation

    options = (
        Investigation.objects.filter(pk=ctx.investigation_id)
        .values_list("options", flat=True)
        .first()
        or {}
    )
    name, size = settings.SUBDOMAIN_WORDLIST, settings.SUBDOMAIN_WORDLIST_SIZE
    if ctx.mode == "quick":
        size = min(size, QUICK_WORDS)
    elif ctx.mode == "comprehensive":
        name, size = COMPREHENSIVE_LIST, max(size, COMPREHENSIVE_WORDS)
    name = options.get("subdomain_wordlist") or name
    size = options.get("subdomain_wordlist_size") or size
    return read_wordlist(name, int(size))


def _try_transfers(
    ctx: JobContext,
    writer: GraphWriter,
    client: DnsClient,
    target: Entity,
    domain: str,
    ns_answer,
    ns_evidence,
) -> dict[str, Any]:
    """AXFR from each name server of the domain; returns the names any of them gave."""
    names: set[str] = set()
    allowed = []
    for record in ns_answer.records:
        server_name = parse_dns_name(record)
        if server_name is None or server_name.startswith("*."):
            continue
        where = _transfer_address(ctx, client, server_name)
        if where is None:
            continue
        result = transfer_zone(
            domain,
            *where,
            timeout=settings.DNS_TRANSFER_TIMEOUT,
            max_records=settings.DNS_TRANSFER_MAX_RECORDS,
        )
        evidence = record_dns(
            writer,
            address=f"dns://{result.server}/{domain}/AXFR",
            text=result.text or f";; {result.error}",
            outcome=Outcome.ANSWER if result.allowed else Outcome.REFUSED,
            error=result.error,
            method="AXFR",
        )
        server = domain_node(
            writer, server_name, attributes={"zone_transfer": result.outcome}, evidence=[evidence]
        )
        writer.link(target, server, "name_server", evidence=[ns_evidence])
        if not result.allowed:
            continue
        allowed.append(server_name)
        writer.link(
            server,
            target,
            "allows_zone_transfer",
            attributes={"records": len(result.records), "truncated": result.truncated},
            evidence=[evidence],
        )
        ctx.note(
            f"Subdomains: {server_name} hands out the whole zone {domain} to anyone "
            f"(zone transfer allowed, {len(result.records)} records)"
        )
        for owner, _, _ in result.records:
            name = parse_dns_name(owner)
            if name and name != domain and is_within(name.removeprefix("*."), domain):
                names.add(name)
    if allowed:
        writer.entity("domain", domain, attributes={"zone_transfer_allowed_by": sorted(allowed)})
    return {"names": names, "allowed": len(allowed)}


def _transfer_address(ctx: JobContext, client: DnsClient, server_name: str):
    """Where to ask a name server for the zone: the override for every name server when
    set, else its own address, which must be public unless private ones are allowed."""
    if settings.DNS_NAMESERVER_OVERRIDE:
        return parse_server_list([settings.DNS_NAMESERVER_OVERRIDE])[0]
    answer = client.query(server_name, "A")
    if not answer.records:
        answer = client.query(server_name, "AAAA")
    if not answer.records:
        ctx.note(f"Subdomains: the name server {server_name} has no address ({answer.outcome})")
        return None
    address = answer.records[0]
    if not ipaddress.ip_address(address).is_global and not settings.ALLOW_PRIVATE_ADDRESSES:
        ctx.note(
            f"Subdomains: zone transfer from {server_name} not tried: its address {address} is "
            "private, loopback or reserved"
        )
        return None
    return address, 53
