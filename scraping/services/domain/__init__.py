"""Domain analysis: every part an analyst checks by hand, each run as its own step.

``analyze_domain(ctx, domain)`` runs the parts in ``PARTS`` in order. A part is a
function ``collect(ctx, writer, domain) -> dict`` in a module of this package; it writes
what it finds to the graph as it goes and returns counts for the job record. Each part
runs inside ``ctx.step(name)``, so one failing part is recorded (and makes the target
"partial") while the others still run. Only when every part failed does the job fail,
as a transient fault (retried) when every failure was transient. When some parts met
transient faults (a WHOIS rate limit, a timeout) and the job has attempts left, the job
is retried, and the retry runs only the parts that did not finish.
"""

import logging
from collections.abc import Callable
from typing import Any

from investigations.errors import PermanentError, RateLimited, TransientError
from investigations.models import Entity
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...domains.names import to_unicode
from . import certificates, dns_records, registration, subdomains, web
from .common import domain_node

logger = logging.getLogger(__name__)

SOURCE = "domain"

Part = Callable[[JobContext, GraphWriter, str], dict[str, Any]]

# In order: the cheap parts first, so that a slow brute force or site never holds them up.
PARTS: list[tuple[str, Part]] = [
    ("dns", dns_records.collect),
    ("registration", registration.collect),
    ("subdomains", subdomains.collect),
    ("certificates", certificates.collect),
    ("web", web.collect),
]


class PartContext:
    """The job context as one part sees it: ``progress`` runs from 0 to 100 within the
    part's share of the job; everything else is the job's own context."""

    def __init__(self, ctx: JobContext, start: int, end: int):
        self._ctx = ctx
        self._start, self._end = start, end

    def progress(self, percent: int) -> None:
        share = max(0, min(100, percent)) * (self._end - self._start) // 100
        self._ctx.progress(self._start + share)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def analyze_domain(ctx: JobContext, domain: str, parts: list[tuple[str, Part]] | None = None):
    """Run every part on ``domain`` (stored form); returns each part's counts."""
    parts = PARTS if parts is None else parts
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    domain_node(writer, domain, attributes={"target": True})
    results: dict[str, Any] = {"domain": domain, "shown_as": to_unicode(domain)}
    failures: list[Exception] = []

    for index, (name, collect) in enumerate(parts):
        if ctx.step_done_before(name):
            results[name] = {"done_in_an_earlier_attempt": True}
            continue
        part_ctx = PartContext(ctx, 100 * index // len(parts), 100 * (index + 1) // len(parts))
        with ctx.step(name):
            try:
                results[name] = collect(part_ctx, writer, domain)
            except Exception as exc:
                failures.append(exc)
                raise
        ctx.progress(100 * (index + 1) // len(parts))

    transient = [f for f in failures if isinstance(f, TransientError)]
    # Parts held back only by platforms' limits wait for their turn without using a retry.
    held_back = all(isinstance(f, RateLimited) for f in transient)
    if transient and (ctx.retries_left > 0 or held_back):
        waits = [f.retry_after for f in transient if f.retry_after]
        raise (RateLimited if held_back else TransientError)(
            f"{len(transient)} parts of the analysis of {to_unicode(domain)} met transient "
            f"faults; they run again: {transient[0]}",
            retry_after=max(waits) if waits else None,
        )
    if parts and len(failures) == len(parts):
        reasons = "; ".join(
            f"{name}: {ctx.steps.get(name, {}).get('error', '')}" for name, _ in parts
        )
        error = (
            TransientError
            if all(isinstance(f, TransientError) for f in failures)
            else PermanentError
        )
        raise error(f"Every part of the analysis of {to_unicode(domain)} failed: {reasons}")
    if _cross_check(ctx, writer, domain) and isinstance(results.get("registration"), dict):
        # The job's result says what the graph says, and what the registry had said.
        results["registration"] = {
            **results["registration"],
            "state": "unknown",
            "registry_said": results["registration"].get("state"),
        }
    logger.info(
        "Domain analysed: %s",
        domain,
        extra={**ctx.log_extra, "target": domain},
    )
    return results


def _cross_check(ctx: JobContext, writer: GraphWriter, domain: str) -> bool:
    """A registry that says "not registered" about a name that answers in DNS is wrong
    about it or has no data for it (a name under a private suffix, a registry that lags):
    the registration is then unknown, not "available", and the analyst is told."""
    entity = Entity.objects.filter(
        investigation_id=ctx.investigation_id, kind="domain", key=domain
    ).first()
    attributes = entity.attributes if entity else {}
    if attributes.get("registration_state") == "available" and attributes.get("exists_in_dns"):
        writer.entity("domain", domain, attributes={"registration_state": "unknown"})
        ctx.note(
            f"registration: the registry answered that {to_unicode(domain)} is not registered, "
            "but the domain answers in DNS; its registration is recorded as unknown"
        )
        return True
    return False
