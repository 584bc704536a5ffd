"""The analysis step. For now a summary of the graph; the full engine comes later."""

import logging

from django.db import transaction

from investigations.models import Entity, Relationship

from . import selectors
from .models import Finding, Severity

logger = logging.getLogger(__name__)


def upsert_finding(investigation_id: int, kind: str, key: str, **values) -> Finding:
    entities = values.pop("entities", None)
    finding, _ = Finding.objects.update_or_create(
        investigation_id=investigation_id, kind=kind, key=key, defaults=values
    )
    if entities is not None:
        finding.entities.set(entities)
    return finding


def summarise_graph(investigation_id: int) -> dict:
    """Summary statistics of the graph, stored as findings: entities by kind, the most
    connected entities, and the sources that failed. Re-running replaces them."""
    by_kind = selectors.entities_by_kind(investigation_id)
    connected = selectors.most_connected_entities(investigation_id)
    failures, notes = selectors.source_outcomes(investigation_id)
    relationships = Relationship.objects.filter(investigation_id=investigation_id).count()
    total = sum(by_kind.values())

    with transaction.atomic():
        upsert_finding(
            investigation_id,
            "graph_summary",
            "entities",
            title=f"{total} entities and {relationships} relationships collected",
            description=", ".join(f"{count} {kind}" for kind, count in by_kind.items())
            or "Nothing collected.",
            data={"entities_by_kind": by_kind, "entities": total, "relationships": relationships},
        )
        top = connected[0] if connected else None
        upsert_finding(
            investigation_id,
            "graph_summary",
            "most_connected",
            title=(
                f"Most connected: {top['kind']} {top['name']} ({top['degree']} links)"
                if top
                else "No linked entities"
            ),
            description="The entities with the most relationships in this investigation.",
            score=float(top["degree"]) if top else 0.0,
            data={"entities": connected},
            entities=Entity.objects.filter(pk__in=[e["id"] for e in connected]),
        )
        upsert_finding(
            investigation_id,
            "graph_summary",
            "failed_sources",
            title=f"{len(failures)} source problems" if failures else "Every source answered",
            description="\n".join(
                f"{f['source']} on {f['target']}: {f['error']}" for f in failures
            ),
            severity=Severity.MEDIUM if failures else Severity.INFO,
            data={"failures": failures},
        )
        upsert_finding(
            investigation_id,
            "graph_summary",
            "source_notes",
            title=(
                f"{len(notes)} {'note' if len(notes) == 1 else 'notes'} from the sources"
                if notes
                else "No notes from the sources"
            ),
            description="\n".join(f"{n['source']} on {n['target']}: {n['note']}" for n in notes),
            data={"notes": notes},
        )
        record_zone_transfer_findings(investigation_id)
    logger.info(
        "Graph summarised: %d entities, %d relationships, %d source problems",
        total,
        relationships,
        len(failures),
        extra={"investigation_id": investigation_id},
    )
    return {"entities": total, "relationships": relationships, "source_problems": len(failures)}


def record_zone_transfer_findings(investigation_id: int) -> int:
    """A name server that hands its zone to anyone publishes every name in it: one
    finding per domain, naming the servers, with the transfers as evidence."""
    domains = Entity.objects.filter(
        investigation_id=investigation_id,
        kind="domain",
        attributes__has_key="zone_transfer_allowed_by",
    )
    for domain in domains:
        servers = domain.attributes["zone_transfer_allowed_by"]
        transfers = Relationship.objects.filter(target=domain, kind="allows_zone_transfer")
        finding = upsert_finding(
            investigation_id,
            "zone_transfer_allowed",
            domain.key,
            title=f"Zone transfer allowed for {domain.name}",
            description=(
                f"{', '.join(servers)} answered a zone transfer (AXFR) from anyone: every "
                "name and record of the zone is public."
            ),
            severity=Severity.HIGH,
            score=float(len(servers)),
            data={"domain": domain.key, "name_servers": servers},
            entities=[domain, *(t.source for t in transfers)],
        )
        finding.evidence.set([e for t in transfers for e in t.evidence.all()])
    return len(domains)
