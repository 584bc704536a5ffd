"""The DNS part: a domain's own records, DNSSEC, e-mail posture and its addresses.

Every question's outcome is kept, as evidence and on the domain entity, so that "no
AAAA record" (NO_ANSWER), "no such name" (NXDOMAIN) and "the resolver did not answer"
(TIMEOUT, SERVFAIL) stay different facts. When no question at all got an answer about
the name, the part fails with a transient error: that says nothing about the domain.
"""

import logging
from typing import Any

import dns.reversename

from investigations.errors import TransientError
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...clients.dns.resolver import DEFINITE_OUTCOMES, DnsAnswer, Outcome
from ...domains import mail_posture
from ...domains.names import parse_dns_name
from .common import ask_all, dns_client, domain_node, ip_node, link_addresses, record_answer

logger = logging.getLogger(__name__)

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "CAA")
# SRV names of services an analyst looks for: mail, chat, calendars, directories, VoIP,
# Microsoft 365 and game servers (RFC 6186, 6120, 6764, 3263 and vendors' documents).
SRV_SERVICES = (
    "_submission._tcp",
    "_submissions._tcp",
    "_imap._tcp",
    "_imaps._tcp",
    "_pop3._tcp",
    "_pop3s._tcp",
    "_autodiscover._tcp",
    "_caldav._tcp",
    "_caldavs._tcp",
    "_carddav._tcp",
    "_carddavs._tcp",
    "_xmpp-client._tcp",
    "_xmpp-server._tcp",
    "_matrix._tcp",
    "_sip._tcp",
    "_sip._udp",
    "_sips._tcp",
    "_sipfederationtls._tcp",
    "_ldap._tcp",
    "_kerberos._udp",
    "_minecraft._tcp",
)
MAIL_RECORDS = {"dmarc": "_dmarc", "mta_sts": "_mta-sts", "tls_rpt": "_smtp._tls"}


def collect(ctx: JobContext, writer: GraphWriter, domain: str) -> dict[str, Any]:
    """A, AAAA, CNAME, MX, NS, TXT, SOA, CAA, common SRV names, DNSSEC, SPF, DMARC,
    MTA-STS and TLS-RPT of ``domain``, and its addresses with their reverse names."""
    client = dns_client()
    questions = [(domain, rdtype, False) for rdtype in RECORD_TYPES]
    questions += [(domain, "DNSKEY", True), (domain, "DS", False)]
    questions += [(f"{label}.{domain}", "TXT", False) for label in MAIL_RECORDS.values()]
    questions += [(f"{service}.{domain}", "SRV", False) for service in SRV_SERVICES]
    answers = ask_all(client, questions)
    ctx.progress(40)
    _require_some_answer(domain, answers)

    evidence = {(a.name, a.rdtype): record_answer(writer, a) for a in answers}
    own = {a.rdtype: a for a in answers[: len(RECORD_TYPES) + 2]}
    by_name = {a.name: a for a in answers[len(RECORD_TYPES) + 2 :]}
    apex_evidence = [evidence[(domain, t)] for t in RECORD_TYPES]

    attributes = {
        "dns": {rdtype: own[rdtype].records for rdtype in RECORD_TYPES if own[rdtype].records},
        "dns_outcomes": {rdtype: str(own[rdtype].outcome) for rdtype in RECORD_TYPES},
        "exists_in_dns": _exists(own),
        "dnssec": _dnssec(own["DNSKEY"], own["DS"]),
        "spf": mail_posture.read_spf(own["TXT"].texts()),
        "dmarc": mail_posture.read_dmarc(by_name[f"_dmarc.{domain}"].texts()),
        "mta_sts": mail_posture.read_mta_sts(by_name[f"_mta-sts.{domain}"].texts()),
        "tls_rpt": mail_posture.read_tls_rpt(by_name[f"_smtp._tls.{domain}"].texts()),
        "srv": {
            service: by_name[f"{service}.{domain}"].records
            for service in SRV_SERVICES
            if by_name[f"{service}.{domain}"].records
        },
    }
    node = domain_node(writer, domain, attributes=attributes, evidence=apex_evidence)
    if not attributes["exists_in_dns"]:
        ctx.note(f"DNS: {domain} does not exist (NXDOMAIN)")
    ctx.progress(60)

    addresses = own["A"].records + own["AAAA"].records
    for rdtype in ("A", "AAAA"):
        link_addresses(writer, node, own[rdtype].records, evidence=[evidence[(domain, rdtype)]])
    reverse = _reverse_names(writer, client, addresses)
    _link_hosts(writer, node, own, by_name, evidence, domain)
    ctx.progress(95)
    return {
        "records": sum(len(own[t].records) for t in RECORD_TYPES),
        "addresses": len(addresses),
        "reverse_names": reverse,
        "signed": attributes["dnssec"]["signed"],
        "srv_services": len(attributes["srv"]),
    }


def _require_some_answer(domain: str, answers: list[DnsAnswer]) -> None:
    if any(a.outcome in DEFINITE_OUTCOMES for a in answers):
        return
    outcomes = sorted({str(a.outcome) for a in answers})
    first_error = next((a.error for a in answers if a.error), "")
    raise TransientError(
        f"No resolver gave an answer about {domain} ({', '.join(outcomes)}): {first_error}"
    )


def _exists(own: dict[str, DnsAnswer]) -> bool | None:
    outcomes = {own[t].outcome for t in RECORD_TYPES}
    if outcomes & {Outcome.ANSWER, Outcome.NO_ANSWER}:
        return True
    if Outcome.NXDOMAIN in outcomes:
        return False
    return None  # only failures: unknown


def _dnssec(dnskey: DnsAnswer, ds: DnsAnswer) -> dict[str, Any]:
    """Signed when the zone publishes DNSKEY records; validated when the resolver says
    it checked the chain (AD); delegated securely when the parent holds a DS."""
    if dnskey.outcome not in DEFINITE_OUTCOMES:
        return {"signed": None, "error": f"DNSKEY question: {dnskey.outcome}"}
    algorithms = sorted({record.split()[2] for record in dnskey.records if record.split()[2:]})
    return {
        "signed": bool(dnskey.records),
        "validated": dnskey.authenticated,
        "signatures_seen": dnskey.signed,
        "ds_at_parent": bool(ds.records) if ds.outcome in DEFINITE_OUTCOMES else None,
        "algorithms": algorithms,
    }


def _reverse_names(writer: GraphWriter, client, addresses: list[str]) -> int:
    """PTR names of the domain's addresses, on each IP entity."""
    questions = [(dns.reversename.from_address(a).to_text(), "PTR", False) for a in addresses]
    answers = ask_all(client, questions)
    found = 0
    for address, answer in zip(addresses, answers, strict=True):
        names = [record.rstrip(".") for record in answer.records]
        ip_node(writer, address, ptr=names, evidence=[record_answer(writer, answer)])
        found += bool(names)
    return found


def _link_hosts(writer, node, own, by_name, evidence, domain: str) -> None:
    """Name servers, mail servers, the CNAME target and SRV targets as linked names."""
    for record in own["NS"].records:
        if host := _host(writer, record):
            writer.link(node, host, "name_server", evidence=[evidence[(domain, "NS")]])
    for record in own["MX"].records:
        preference, _, exchange = record.partition(" ")
        if host := _host(writer, exchange):
            writer.link(
                node,
                host,
                "mail_server",
                attributes={"preference": int(preference) if preference.isdigit() else None},
                evidence=[evidence[(domain, "MX")]],
            )
    for target in own["CNAME"].records:
        if host := _host(writer, target):
            writer.link(node, host, "alias_of", evidence=[evidence[(domain, "CNAME")]])
    services: dict[str, tuple[list[str], list]] = {}
    for service in SRV_SERVICES:
        answer = by_name[f"{service}.{domain}"]
        for record in answer.records:
            parts = record.split()
            if len(parts) != 4 or parts[3] == ".":
                continue  # "." as target: the service is decidedly not offered
            offered, proof = services.setdefault(parts[3], ([], []))
            offered.append(f"{service}:{parts[2]}")
            proof.append(evidence[(answer.name, "SRV")])
    for target, (offered, proof) in services.items():
        if host := _host(writer, target):
            writer.link(
                node, host, "offers_service", attributes={"services": offered}, evidence=proof
            )


def _host(writer: GraphWriter, text: str):
    """The entity of a host name found in a record, or None for a name that is not one."""
    name = parse_dns_name(text)
    if name is None or name.startswith("*."):
        return None
    return domain_node(writer, name)
