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


def failed_sources(investigation_id: int) -> list[dict]:
    jobs = (
        Job.objects.filter(investigation_id=investigation_id, phase=JobPhase.SCRAPING)
        .filter(Q(state=JobState.FAILED) | Q(result__has_key="notes"))
        .select_related("target")
        .order_by("id")
    )
    failures = []
    for job in jobs:
        if job.state == JobState.FAILED:
            failures.append({"source": job.name, "target": str(job.target), "error": job.error})
        for note in job.result.get("notes", []):
            failures.append(
                {"source": job.name, "target": str(job.target), "error": note, "partial": True}
            )
    return failures
