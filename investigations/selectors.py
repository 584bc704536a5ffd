"""Reads of investigations and their graph, shaped for pages, the API and exports."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from . import registry
from .models import (
    Entity,
    Investigation,
    InvestigationStatus,
    Job,
    JobPhase,
    Relationship,
    Target,
    TargetStatus,
)
from .targets import shown_as


def visible_to(user, prefix: str = "") -> Q:
    """The condition on investigations (or on rows under one, through ``prefix``, e.g.
    ``"investigation__"``) that a user may see: all for staff, else their own."""
    if user.is_staff:
        return Q()
    return Q(**{f"{prefix}owner": user})


def investigations_for(user) -> QuerySet[Investigation]:
    """The investigations a user may see: all for staff, else their own."""
    qs = Investigation.objects.annotate(target_count=Count("targets", distinct=True))
    return qs.filter(visible_to(user)).order_by("-created_at")


def target_counts(investigation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Targets by status for each investigation, every status present (zero or more),
    in one query: what lists show instead of the targets themselves."""
    counts = {pk: dict.fromkeys(TargetStatus.values, 0) for pk in investigation_ids}
    rows = (
        Target.objects.filter(investigation_id__in=investigation_ids)
        .values("investigation_id", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["investigation_id"]][row["status"]] = row["count"]
    return counts


def targets_of(investigation_id: int, status: str | None = None) -> QuerySet[Target]:
    """An investigation's targets in the order they were given, with their jobs."""
    qs = Target.objects.filter(investigation_id=investigation_id).order_by("id")
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("jobs")


def jobs_of(investigation_id: int) -> QuerySet[Job]:
    """An investigation's jobs: its own steps (analysis, report, ...) first, then each
    target's, in the order they were queued."""
    return (
        Job.objects.filter(investigation_id=investigation_id)
        .select_related("target")
        .order_by(F("target_id").asc(nulls_first=True), "id")
    )


def task_record(user, task_id: str) -> dict[str, Any] | None:
    """What a Celery task id is within the investigations a user may see: one of their
    jobs, or an investigation's pipeline task; None when it is neither."""
    job = (
        Job.objects.filter(visible_to(user, "investigation__"), celery_task_id=task_id)
        .select_related("target")
        .first()
    )
    if job is not None:
        return {"investigation": job.investigation_id, "name": job.task_name, "job": job}
    investigation = (
        Investigation.objects.filter(visible_to(user), pipeline_task_id=task_id)
        .only("pk", "options")
        .first()
    )
    if investigation is not None:
        name = investigation.options.get("pipeline_task")
        return {"investigation": investigation.pk, "name": name, "job": None}
    return None


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
    for target in targets_of(investigation_id).iterator(chunk_size=CHUNK):
        yield target_row(target)


def target_rows(investigation_id: int) -> list[dict[str, Any]]:
    return list(iter_target_rows(investigation_id))


def target_row(target: Target) -> dict[str, Any]:
    """A target with its outcome and its jobs (prefetched by ``targets_of``)."""
    return {
        "target": str(target),
        "shown_as": shown_as(target.kind, target.value),
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
                "task_id": job.celery_task_id,
            }
            for job in target.jobs.all()
        ],
    }


REJECTED = "rejected"


class TargetTable:
    """The rows of an investigation's targets table, for a paginator: its targets (one
    status, or all), then the inputs refused at creation, as one sequence of which only
    the rows of the page shown are read."""

    def __init__(self, investigation: Investigation, status: str | None = None):
        self.targets = targets_of(investigation.pk, status) if status != REJECTED else None
        self.rejected = investigation.rejected_targets if status in (None, REJECTED) else []
        self._target_count: int | None = None

    def _targets_len(self) -> int:
        if self._target_count is None:
            self._target_count = self.targets.count() if self.targets is not None else 0
        return self._target_count

    def __len__(self) -> int:
        return self._targets_len() + len(self.rejected)

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop
        known = self._targets_len()
        rows = []
        if start < known:
            rows += [target_row(t) for t in self.targets[start : min(stop, known)]]
        rows += [
            {"target": r["input"], "status": REJECTED, "error": r["error"], "jobs": []}
            for r in self.rejected[max(start - known, 0) : max(stop - known, 0)]
        ]
        return rows


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


# Pause banners a page shows before it sums up the rest in one line: a run over thousands
# of web sites can have hundreds of hosts paused at once.
PAUSE_BANNERS = 10


def pause_banners(investigation: Investigation, platforms: list[dict[str, Any]]) -> dict[str, Any]:
    """The paused platforms a page names (the first PAUSE_BANNERS) and how many more there
    are; none once the investigation has ended, as its requests no longer wait."""
    if investigation.status not in (InvestigationStatus.QUEUED, InvestigationStatus.RUNNING):
        return {"shown": [], "more": 0}

    paused = [p for p in platforms if p.get("paused_until")]
    return {"shown": paused[:PAUSE_BANNERS], "more": max(0, len(paused) - PAUSE_BANNERS)}


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
