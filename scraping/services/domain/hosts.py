"""Names below a domain, from any source: resolved in bulk, told apart from a wildcard's
echo, and written to the graph with their addresses and reverse names.

A name found in a certificate or a zone transfer is a fact about the domain even when it
no longer resolves, so it is kept with its DNS outcome; a name guessed from a wordlist is
kept only when it exists and is not merely the wildcard answering.
"""

import logging
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dns.reversename

from investigations.models import Entity
from investigations.services.graph import GraphWriter

from ...clients.dns.bulk import BulkResolver, BulkResult
from ...clients.dns.resolver import Outcome
from .common import domain_node, ip_node, link_addresses, record_dns

logger = logging.getLogger(__name__)

WORDLIST = "wordlist"
ZONE_TRANSFER = "zone_transfer"
CERTIFICATES = "certificates"
# Sources whose names exist whether or not they resolve today.
ATTESTING_SOURCES = frozenset({ZONE_TRANSFER, CERTIFICATES})
WILDCARD_PROBES = 3
_PROBE_ALPHABET = string.ascii_lowercase + string.digits
_EXISTS = (Outcome.ANSWER, Outcome.NO_ANSWER)


@dataclass
class Wildcard:
    addresses: set[str] = field(default_factory=set)
    cnames: set[str] = field(default_factory=set)
    probes: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.addresses or self.cnames)

    def echoes(self, host: "HostAnswer") -> bool:
        """True when this answer is what the wildcard gives any name."""
        if not self.active or host.outcome != Outcome.ANSWER:
            return False
        return set(host.addresses) <= self.addresses and set(host.cnames) <= self.cnames


@dataclass
class HostAnswer:
    name: str
    outcome: Outcome
    server: str = ""
    addresses: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def merge(self, result: BulkResult) -> None:
        self.addresses += [a for a in result.values if a not in self.addresses]
        self.cnames += [c for c in result.cnames if c not in self.cnames]
        if result.text:
            self.texts.append(result.text)
        if result.outcome == Outcome.ANSWER:
            self.outcome = Outcome.ANSWER


def detect_wildcard(bulk: BulkResolver, domain: str) -> Wildcard:
    """Ask for a few random names that cannot exist: what answers is a wildcard."""
    probes = [
        "".join(secrets.choice(_PROBE_ALPHABET) for _ in range(16)) + f".{domain}"
        for _ in range(WILDCARD_PROBES)
    ]
    wildcard = Wildcard(probes=probes)
    for rdtype in ("A", "AAAA"):
        for result in bulk.resolve(probes, rdtype):
            wildcard.addresses.update(result.values)
            wildcard.cnames.update(result.cnames)
    return wildcard


def resolve_hosts(
    bulk: BulkResolver,
    names: list[str],
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, HostAnswer]:
    """A for every name, then AAAA for the names that exist."""
    hosts: dict[str, HostAnswer] = {}
    total = len(names)
    for count, result in enumerate(bulk.resolve(names, "A"), start=1):
        host = HostAnswer(result.name, result.outcome, result.server)
        host.merge(result)
        hosts[result.name] = host
        if on_progress is not None and count % 500 == 0:
            on_progress(count, total)
    existing = [name for name, host in hosts.items() if host.outcome in _EXISTS]
    for result in bulk.resolve(existing, "AAAA"):
        hosts[result.name].merge(result)
    return hosts


def record_hosts(
    writer: GraphWriter,
    target: Entity,
    hosts: dict[str, HostAnswer],
    sources: dict[str, set[str]],
    wildcard: Wildcard,
    bulk: BulkResolver,
) -> dict[str, int]:
    """Write the names worth keeping; returns counts for the job record."""
    counts = {"recorded": 0, "wildcard_echoes": 0, "addresses": 0}
    addresses: set[str] = set()
    for name, host in hosts.items():
        found_by = sources.get(name, set())
        echo = wildcard.echoes(host)
        attested = bool(found_by & ATTESTING_SOURCES)
        if not attested and (host.outcome not in _EXISTS or echo):
            counts["wildcard_echoes"] += echo
            continue
        evidence = [_host_evidence(writer, host)]
        attributes = {f"found_by_{source}": True for source in found_by}
        attributes.update(
            dns_outcome=str(host.outcome),
            addresses=host.addresses,
            cnames=host.cnames,
            wildcard_answer=echo,
        )
        node = domain_node(writer, name, attributes=attributes, evidence=evidence)
        writer.link(node, target, "subdomain_of", evidence=evidence)
        if not echo:
            link_addresses(writer, node, host.addresses, evidence=evidence)
            addresses.update(host.addresses)
        counts["recorded"] += 1
    counts["addresses"] = len(addresses)
    counts["reverse_names"] = record_reverse_names(writer, bulk, sorted(addresses))
    return counts


def record_wildcard_entries(
    writer: GraphWriter, target: Entity, names: Iterable[str], evidence=()
) -> int:
    """``*.name`` entries (from certificates or a zone): kept as wildcard names, never
    asked for literally."""
    count = 0
    for name in names:
        node = domain_node(writer, name, attributes={"wildcard": True}, evidence=evidence)
        writer.link(node, target, "subdomain_of", evidence=evidence)
        count += 1
    return count


def record_reverse_names(writer: GraphWriter, bulk: BulkResolver, addresses: list[str]) -> int:
    """PTR names of many addresses at once, on their IP entities."""
    pointers = {dns.reversename.from_address(a).to_text().rstrip("."): a for a in addresses}
    found = 0
    for result in bulk.resolve(list(pointers), "PTR"):
        address = pointers[result.name]
        evidence = record_dns(
            writer,
            address=f"dns://{result.server}/{result.name}/PTR",
            text=result.text or _summary(result.name, "PTR", result.outcome, result.server),
            outcome=result.outcome,
        )
        ip_node(writer, address, ptr=result.values, evidence=[evidence])
        found += bool(result.values)
    return found


def _host_evidence(writer: GraphWriter, host: HostAnswer):
    return record_dns(
        writer,
        address=f"dns://{host.server}/{host.name}/A",
        text="\n".join(host.texts) or _summary(host.name, "A", host.outcome, host.server),
        outcome=host.outcome,
    )


def _summary(name: str, rdtype: str, outcome: Outcome, server: str) -> str:
    """What was read of an answer without records: its status, from its header."""
    return f";; {name} {rdtype} from {server}: {str(outcome).upper()}"
