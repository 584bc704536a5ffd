"""Reads of investigations and their graph, shaped for pages, the API and exports."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, QuerySet

from . import registry
from .models import Entity, Investigation, Job, JobPhase, Relationship, Target


def investigations_for(user) -> QuerySet[Investigation]:
    """The investigations a user may see: all for staff, else their own."""
    qs = Investigation.objects.annotate(target_count=Count("targets", distinct=True)).order_by(
        "-created_at"
    )
    if user.is_staff:
        return qs
    return qs.filter(owner=user)


# Rows are read from the database in chunks of this many, so that a large graph is
# never held whole in memory by a report or an export.
CHUNK = 2000


def iter_entity_rows(investigation_id: int, limit: int | None = None) -> Iterator[dict[str, Any]]:
    entities = Entity.objects.filter(investigation_id=investigation_id).order_by("kind", "key")
    for e in (entities[:limit] if limit else entities).iterator(chunk_size=CHUNK):
        yield {
            "kind": e.kind,
            "key": e.key,
            "name": e.name,
            "attributes": e.attributes,
            "sources": e.sources,
            "confidence": e.confidence,
        }


def entity_rows(investigation_id: int) -> list[dict[str, Any]]:
    return list(iter_entity_rows(investigation_id))


def iter_relationship_rows(
    investigation_id: int, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    rows = (
        Relationship.objects.filter(investigation_id=investigation_id)
        .select_related("source", "target")
        .order_by("source__kind", "source__key", "kind", "target__kind", "target__key")
    )
    for r in (rows[:limit] if limit else rows).iterator(chunk_size=CHUNK):
        yield {
            "source": {"kind": r.source.kind, "key": r.source.key},
            "target": {"kind": r.target.kind, "key": r.target.key},
            "kind": r.kind,
            "attributes": r.attributes,
            "confidence": r.confidence,
        }


def relationship_rows(investigation_id: int) -> list[dict[str, Any]]:
    return list(iter_relationship_rows(investigation_id))


def finding_rows(investigation: Investigation) -> list[dict[str, Any]]:
    # Read through the reverse relation so this app needs no import of analysis.
    return [
        {
            "kind": f.kind,
            "key": f.key,
            "title": f.title,
            "description": f.description,
            "severity": f.severity,
            "score": f.score,
            "data": f.data,
        }
        for f in investigation.findings.all()
    ]


def iter_target_rows(investigation_id: int) -> Iterator[dict[str, Any]]:
    targets = (
        Target.objects.filter(investigation_id=investigation_id)
        .prefetch_related("jobs")
        .order_by("id")
    )
    for target in targets.iterator(chunk_size=CHUNK):
        yield {
            "target": str(target),
            "kind": target.kind,
            "value": target.value,
            "status": target.status,
            "error": target.error,
            "notes": target.summary.get("notes", []),
            "cache": target.summary.get("cache"),
            "jobs": [
                {
                    "source": job.name,
                    "state": job.state,
                    "attempts": job.attempts,
                    "error": job.error,
                }
                for job in target.jobs.all()
            ],
        }


def target_rows(investigation_id: int) -> list[dict[str, Any]]:
    return list(iter_target_rows(investigation_id))


def collection_state(investigation: Investigation) -> dict[str, Any]:
    """Progress of collection (per source, per target, rate, time left) and the state of
    the platforms it uses, paused ones first, for the detail page and the API."""
    from .services.monitor import scraping_progress

    sources = list(
        Job.objects.filter(investigation=investigation, phase=JobPhase.SCRAPING)
        .values_list("name", flat=True)
        .distinct()
    )
    platforms = registry.platform_states(sources)
    platforms.sort(key=lambda p: p.get("paused_until") is None)
    return {
        "progress": scraping_progress(investigation.pk) if sources else None,
        "platforms": platforms,
        "fresh": bool(investigation.options.get("fresh")),
    }


def step_rows(investigation_id: int) -> list[dict[str, Any]]:
    return [
        {"phase": job.phase, "name": job.name, "state": job.state, "error": job.error}
        for job in Job.objects.filter(investigation_id=investigation_id, target__isnull=True)
    ]


def investigation_document(investigation: Investigation, *, lazy: bool = False) -> dict[str, Any]:
    """The whole result of an investigation as one JSON-ready document. With ``lazy``,
    targets, entities and relationships are iterators read in chunks, for writers that
    stream them instead of holding a large graph in memory."""
    return {
        "id": investigation.pk,
        "name": investigation.name,
        "status": investigation.status,
        "mode": investigation.mode,
        "progress": investigation.progress,
        "created_at": investigation.created_at.isoformat(),
        "started_at": investigation.started_at.isoformat() if investigation.started_at else None,
        "finished_at": investigation.finished_at.isoformat() if investigation.finished_at else None,
        "errors": [line for line in investigation.error_summary.splitlines() if line],
        "rejected_targets": investigation.rejected_targets,
        "targets": (iter_target_rows if lazy else target_rows)(investigation.pk),
        "steps": step_rows(investigation.pk),
        "entities": (iter_entity_rows if lazy else entity_rows)(investigation.pk),
        "relationships": (iter_relationship_rows if lazy else relationship_rows)(investigation.pk),
        "findings": finding_rows(investigation),
    }


def entity_kind_counts(investigation_id: int) -> list[tuple[str, int]]:
    rows = (
        Entity.objects.filter(investigation_id=investigation_id)
        .values("kind")
        .annotate(count=Count("id"))
        .order_by("kind")
    )
    return [(row["kind"], row["count"]) for row in rows]
