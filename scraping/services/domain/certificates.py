"""The certificates part: certificate-transparency logs, searched through a crt.sh-style
service, give the certificates issued for the domain and the names they cover.

Each certificate becomes an entity (issuer, validity, serial, the log entries) linked to
its issuer and to every name it covers below the domain. A name field may hold several
names, one a line; ``*.name`` is kept as a wildcard entry and never asked for. Names are
then resolved like any subdomain. Names outside the domain (other domains on a shared
certificate), e-mail addresses and IP addresses are counted, not followed.
"""

import logging
from typing import Any

from django.conf import settings

from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ... import platforms
from ...clients.ct import Certificate, CtClient
from ...domains.names import is_within, parse_dns_name
from ...http import HttpClient
from . import hosts
from .common import bulk_resolver, domain_node

logger = logging.getLogger(__name__)


def build_client(writer: GraphWriter) -> CtClient:
    return CtClient(
        base_url=settings.CT_URL,
        http=HttpClient(
            read_timeout=settings.CT_READ_TIMEOUT, platform=platforms.CT, cache_answers=True
        ),
        on_response=writer.record,
    )


def collect(ctx: JobContext, writer: GraphWriter, domain: str) -> dict[str, Any]:
    """Certificates for ``domain`` and the names below it, the names resolved."""
    search = build_client(writer).search(domain)
    evidence = writer.record(search.response)
    target = domain_node(writer, domain)
    ctx.progress(40)

    names: set[str] = set()
    wildcards: set[str] = set()
    skipped = {"out_of_scope": 0, "not_a_host_name": 0}
    for certificate in search.certificates:
        covered = _covered_names(certificate, domain, skipped)
        node = _certificate_node(writer, certificate, covered, evidence)
        for name in covered:
            entity = target if name == domain else domain_node(writer, name, evidence=[evidence])
            writer.link(node, entity, "covers", evidence=[evidence])
            if name.startswith("*."):
                wildcards.add(name)
            elif name != domain:
                names.add(name)
    ctx.progress(60)

    hosts.record_wildcard_entries(writer, target, sorted(wildcards), evidence=[evidence])
    bulk = bulk_resolver()
    answers = hosts.resolve_hosts(bulk, sorted(names))
    sources = {name: {hosts.CERTIFICATES} for name in names}
    counts = hosts.record_hosts(writer, target, answers, sources, hosts.Wildcard(), bulk)
    return {
        "certificates": len(search.certificates),
        "log_entries": search.rows,
        "names": len(names),
        "wildcard_names": len(wildcards),
        "skipped_rows": search.skipped_rows,
        **skipped,
        **counts,
    }


def _covered_names(certificate: Certificate, domain: str, skipped: dict[str, int]) -> list[str]:
    covered = []
    for raw in certificate.names:
        name = parse_dns_name(raw)
        if name is None:
            skipped["not_a_host_name"] += 1
        elif not is_within(name.removeprefix("*."), domain):
            skipped["out_of_scope"] += 1
        elif name not in covered:
            covered.append(name)
    return covered


def _certificate_node(writer: GraphWriter, certificate: Certificate, covered: list[str], evidence):
    node = writer.entity(
        "certificate",
        certificate.key,
        name=f"{certificate.common_name or certificate.serial_number} ({_issuer_label(certificate)})",
        attributes={
            "serial_number": certificate.serial_number,
            "issuer_name": certificate.issuer_name,
            "issuer_ca_id": certificate.issuer_ca_id,
            "common_name": certificate.common_name,
            "not_before": certificate.not_before,
            "not_after": certificate.not_after,
            "names": certificate.names,
            "covered_names": covered,
            "log_entries": certificate.log_entries,
            "first_logged": certificate.first_logged,
        },
        evidence=[evidence],
    )
    if certificate.issuer_name:
        issuer = writer.entity(
            "organization",
            f"ca:{certificate.issuer_ca_id or certificate.issuer_name}",
            name=_issuer_label(certificate),
            attributes={
                "role": "certificate authority",
                "distinguished_name": certificate.issuer_name,
            },
            evidence=[evidence],
        )
        writer.link(node, issuer, "issued_by", evidence=[evidence])
    return node


def _issuer_label(certificate: Certificate) -> str:
    """The issuer's CN (or O) from its distinguished name, for display."""
    parts = dict(
        part.strip().split("=", 1) for part in certificate.issuer_name.split(", ") if "=" in part
    )
    return parts.get("CN") or parts.get("O") or certificate.issuer_name or "unknown issuer"
