"""Reads over an investigation's graph used by analysis and reports."""

from django.db.models import Count, Q

from investigations.models import Entity, Job, JobPhase, JobState


def entities_by_kind(investigation_id: int) -> dict[str, int]:
    rows = (
        Entity.objects.filter(investigation_id=investigation_id)
        .values("kind")
        .annotate(count=Count("id"))
        .order_by("kind")
    )
    return {row["kind"]: row["count"] for row in rows}


def most_connected_entities(investigation_id: int, limit: int = 10) -> list[dict]:
    rows = (
        Entity.objects.filter(investigation_id=investigation_id)
        .annotate(
            degree=Count("outgoing", distinct=True) + Count("incoming", distinct=True),
        )
        .filter(degree__gt=0)
        .order_by("-degree", "kind", "key")[:limit]
    )
    return [
        {"id": e.pk, "kind": e.kind, "key": e.key, "name": e.name, "degree": e.degree} for e in rows
    ]


def source_outcomes(investigation_id: int) -> tuple[list[dict], list[dict]]:
    """What went wrong at the sources (failed jobs, failed parts of jobs) and, apart,
    their notes: parts a source does not offer for a target, fallbacks taken, answers
    cut at a bound, which inform the analyst without being faults."""
    jobs = (
        Job.objects.filter(investigation_id=investigation_id, phase=JobPhase.SCRAPING)
        .filter(Q(state=JobState.FAILED) | Q(result__has_key="notes") | Q(result__has_key="steps"))
        .select_related("target")
        .order_by("id")
    )
    failures, notes = [], []
    for job in jobs:
        where = {"source": job.name, "target": str(job.target)}
        if job.state == JobState.FAILED:
            failures.append({**where, "error": job.error})
        for step, info in job.result.get("steps", {}).items():
            if info.get("state") == "failed":
                failures.append(
                    {**where, "error": f"{step}: {info.get('error', '')}", "partial": True}
                )
        notes += [{**where, "note": note} for note in job.result.get("notes", [])]
    return failures, notes
