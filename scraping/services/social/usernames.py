"""Username enumeration: one name checked on every manifest site, results into the graph.

What an analyst gets for ``username:NAME``:
- a ``username`` entity, whose attributes list where it was found and where the answer
  was unknown, with the reason;
- an ``account`` entity per site that has the profile (key ``<site>:<username>``),
  linked from the username by ``has_account``;
- Evidence for every site: found, not found or unknown with the reason, the address
  asked, the status and the time, and the answer body;
- in the job result, a row per site, and a note naming the unknown ones.
"""

import logging
import time
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.cache import cache

from investigations.errors import JobCancelled, PermanentError
from investigations.models import EvidenceOutcome
from investigations.services.graph import GraphWriter, record_evidence
from investigations.tasking import JobContext

from ... import platforms, ratelimit
from ...usernames.checker import CheckResult, InMemoryControlMemory, UsernameChecker
from ...usernames.detection import CheckState
from ...usernames.manifest import Site, load_sites, select_sites
from ...usernames.transport import SiteTransport, run_apart, run_loop
from .graph import ACCOUNT, HAS_ACCOUNT, USERNAME

logger = logging.getLogger(__name__)

SOURCE = "username_sites"
_CONTROL_KEY = "usernames:control:"
_PROGRESS_EVERY = 1.0  # seconds between progress writes while the checks run
_OUTCOMES = {
    CheckState.FOUND: EvidenceOutcome.OK,
    CheckState.NOT_FOUND: EvidenceOutcome.NOT_FOUND,
    CheckState.UNKNOWN: EvidenceOutcome.ERROR,
}


def sites_to_check() -> list[Site]:
    sites = select_sites(
        load_sites(settings.USERNAME_SITES_FILE),
        ids=settings.USERNAME_SITES,
        tags=settings.USERNAME_SITE_TAGS,
        include_nsfw=settings.USERNAME_INCLUDE_NSFW,
    )
    if not sites:
        raise PermanentError("No site to check: USERNAME_SITES and USERNAME_SITE_TAGS select none")
    return sites


class SiteTurns:
    """The username sites' shared limits for one run: each site is the platform
    ``site:<id>``. Limits are read once, when the run is set up; turns are taken before
    the run's event loop starts and given back after it ends, on the job's thread."""

    def __init__(self, sites: list[Site], *, limit: ratelimit.Limit | None = None):
        """``limit`` holds every site to one limit instead of those in force (the
        benchmark's way to time the turns without a database)."""
        self.names = {site.id: platforms.member(platforms.SITE, site.id) for site in sites}
        if limit is None:
            self.limits = ratelimit.limits_for(list(self.names.values()))
        else:
            self.limits = dict.fromkeys(self.names.values(), limit)

    def reserve(self, site_ids: list[str], max_wait: float) -> list[ratelimit.Grant]:
        return ratelimit.reserve_turns([self.names[i] for i in site_ids], max_wait, self.limits)

    def give_back(self, site_ids: list[str]) -> None:
        ratelimit.give_back_turns([self.names[i] for i in site_ids], self.limits)

    def observe(self, results: list[CheckResult]) -> None:
        """A site that asked us to wait (Retry-After, 429) is paused for every worker."""
        for result in results:
            for answer in (result, result.control_result):
                if answer is not None and answer.status is not None:
                    ratelimit.observe(self.names[result.site.id], answer.status, answer.headers)


def build_checker(
    memory: InMemoryControlMemory, on_result=None, turns: SiteTurns | None = None
) -> UsernameChecker:
    transport = SiteTransport(
        user_agent=settings.HTTP_USER_AGENT,
        concurrency=settings.USERNAME_CONCURRENCY,
        max_body_bytes=settings.USERNAME_MAX_BODY_BYTES,
        proxy=settings.OUTBOUND_PROXY,
        url_override=settings.SITE_URL_OVERRIDE,
        allow_private=settings.ALLOW_PRIVATE_ADDRESSES,
    )
    return UsernameChecker(
        transport,
        site_timeout=settings.USERNAME_SITE_TIMEOUT,
        run_timeout=settings.USERNAME_RUN_TIMEOUT,
        control_memory=memory,
        on_result=on_result,
        turns=turns,
    )


class _CacheControlMemory(InMemoryControlMemory):
    """Control answers shared by all workers through the cache, read before a run and
    written after it (the checks themselves run on an event loop that must not block)."""

    def __init__(self, sites: list[Site]):
        super().__init__()
        stored = cache.get_many([_CONTROL_KEY + s.id for s in sites])
        self._known = {key.removeprefix(_CONTROL_KEY): value for key, value in stored.items()}
        self._learned: dict[str, bool] = {}

    def set(self, site_id: str, answers_any_name: bool) -> None:
        super().set(site_id, answers_any_name)
        self._learned[_CONTROL_KEY + site_id] = answers_any_name

    def save(self) -> None:
        if self._learned:
            cache.set_many(self._learned, settings.USERNAME_CONTROL_CACHE_SECONDS)


def _run_checks(ctx: JobContext, username: str, sites: list[Site]) -> list[CheckResult]:
    """The checks' event loop runs on a thread of its own (a real one on a gevent worker,
    see ``run_apart``); this one takes the sites' turns before it and gives back the
    unused ones after, reports progress meanwhile and stops it when the investigation is
    cancelled."""
    done = Counter()
    memory = _CacheControlMemory(sites)
    checker = build_checker(
        memory, on_result=lambda result: done.update(["n"]), turns=SiteTurns(sites)
    )
    turns = checker.take_turns(username, sites)
    running = run_apart(
        lambda: run_loop(checker.check_async(username, sites, turns)),
        name=f"username-check-{ctx.job_id}",
    )
    try:
        while not running.wait(_PROGRESS_EVERY):
            ctx.progress(5 + int(75 * done["n"] / max(1, len(sites))))
    except JobCancelled:
        checker.stop()
        running.wait(None)
        raise
    results = running.result()
    checker.after_run(results, turns)
    memory.save()
    return results


def _evidence(writer: GraphWriter, result: CheckResult):
    return record_evidence(
        investigation_id=writer.investigation_id,
        target_id=writer.target_id,
        source=writer.source,
        url=result.request_url,
        method=result.method,
        status_code=result.status,
        body=result.body,
        headers=result.headers,
        outcome=_OUTCOMES[result.state],
        error="" if result.state == CheckState.FOUND else f"{result.state}: {result.detail}",
        truncated=result.truncated,
        fetched_at=result.checked_at,
    )


def _write_account(writer: GraphWriter, name_entity, result: CheckResult, evidence) -> None:
    site = result.site
    proofs = [evidence]
    if result.control_result is not None:
        proofs.append(_evidence(writer, result.control_result))
    account = writer.entity(
        ACCOUNT,
        f"{site.id}:{result.username}",
        name=f"{result.username} on {site.name}",
        attributes={
            "platform": site.id,
            "site": site.name,
            "username": result.username,
            "url": result.url,
            "tags": list(site.tags),
            "checked_at": result.checked_at.isoformat(),
            "status": result.status,
            "detection": result.detail,
            "control": result.control,
        },
        evidence=proofs,
    )
    writer.link(
        name_entity,
        account,
        HAS_ACCOUNT,
        attributes={"site": site.id, "url": result.url},
        evidence=proofs,
    )


def record_results(ctx: JobContext, username: str, results: list[CheckResult]) -> dict[str, Any]:
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    found = [r for r in results if r.state == CheckState.FOUND]
    unknown = [r for r in results if r.state == CheckState.UNKNOWN]
    name_entity = writer.entity(
        USERNAME,
        username,
        name=username,
        attributes={
            "sites_checked": len(results),
            "found_on": [r.site.id for r in found],
            "unknown_on": {r.site.id: r.detail for r in unknown},
        },
    )
    for index, result in enumerate(results):
        evidence = _evidence(writer, result)
        if result.state == CheckState.FOUND:
            _write_account(writer, name_entity, result, evidence)
        if index % 50 == 49:
            ctx.progress(80 + int(18 * index / len(results)))

    if unknown:
        reasons = Counter(r.reason.value for r in unknown)
        listed = ", ".join(f"{r.site.name} ({r.detail})" for r in unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        ctx.note(
            f"{len(unknown)} of {len(results)} sites gave no usable answer "
            f"({', '.join(f'{n} {k}' for k, n in reasons.most_common())}): {listed}{more}"
        )
    counts = Counter(r.state.value for r in results)
    return {
        "username": username,
        "sites": len(results),
        "found": counts[CheckState.FOUND.value],
        "not_found": counts[CheckState.NOT_FOUND.value],
        "unknown": counts[CheckState.UNKNOWN.value],
        # Sites not asked, for either reason: their rules refuse the name (counted in
        # not_found), or no turn came in time or they were paused (counted in unknown).
        "not_asked_invalid_name": sum(
            1 for r in results if not r.requested and r.state == CheckState.NOT_FOUND
        ),
        "not_asked_no_turn": sum(
            1 for r in results if not r.requested and r.state == CheckState.UNKNOWN
        ),
        "found_on": [r.summary() for r in found],
        "unknown_on": [r.summary() for r in unknown],
        "per_site": {r.site.id: [r.state.value, r.reason.value, r.status] for r in results},
    }


def enumerate_username(ctx: JobContext, username: str) -> dict[str, Any]:
    """Check one name on every selected site and write what was found."""
    sites = sites_to_check()
    started = time.monotonic()
    results = _run_checks(ctx, username, sites)
    elapsed = time.monotonic() - started
    logger.info(
        "Username %s checked on %d sites in %.1f s",
        username,
        len(sites),
        elapsed,
        extra={"investigation_id": ctx.investigation_id, "source": SOURCE},
    )
    summary = record_results(ctx, username, results)
    summary["check_seconds"] = round(elapsed, 2)
    return summary
