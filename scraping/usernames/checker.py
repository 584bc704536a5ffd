"""Checking one username on every site of the manifest at once.

How a run is bounded:
- at most ``concurrency`` checks are in flight (a semaphore), over a connection pool of
  twice that size: the connections in use, and those opened ahead for checks that wait
  for a place or a turn (their TCP and TLS handshakes then overlap the wait). A site's
  connection is closed once its check is done;
- each check, redirects and body included, ends within ``site_timeout`` ("unknown:
  timeout" otherwise);
- the whole run ends within ``run_timeout``: checks still open then are cancelled and
  reported "unknown: run deadline". Without that cap a run takes at most about
  ``site_timeout`` x ceil(checks / concurrency), checks being one per valid site plus
  one control check per site that said "found".

Politeness: with ``turns`` every site is a platform of its own (``site:<id>``) whose
limits all workers share. Before the loop starts, a run takes in one step a turn on every
site it asks, and a second one where a control check may follow (a site whose control
answer is not known yet); after the loop it gives back the second turns no control check
used, and reads the answers for pauses to set. Each check waits for its site's turn; a
paused site, or one with no turn before the run's deadline, is not asked and is "unknown"
with the reason. Nothing inside the loop touches the rate-limit store or starts a thread,
so the loop can run on a thread of its own next to a gevent worker's greenlets.

Accuracy guards: a name the site's rules refuse is not requested; a site that says
"found" is asked again, at once, for a random improbable name (the control check), and
if it "finds" that one too its answer is "unknown"; firewall, captcha, login-wall and
rate-limit answers are "unknown" with the reason (see detection.py).
"""

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin

from .detection import (
    CheckState,
    Reason,
    Verdict,
    judge,
    judge_redirect,
    not_found,
    unknown,
)
from .manifest import DetectMethod, Site
from .rules import control_name, control_possible, is_valid_for
from .time_limits import TimeLimits
from .transport import Answer, SiteTransport, run_loop
from .wire import BadAnswer

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# Seconds after which a check that waits for a place or a turn has its connection opened
# ahead. Opening them at once delays the requests of the checks that can go now, which the
# loop then handles later; 10 ms later was 12 ms faster on a first run of
# bench/username_enum.py at 100 ms (0.363 s against 0.375-0.379 s, five runs each).
PRECONNECT_AFTER = 0.01
# A status test needs no more than the start of a page (for firewall markers and the
# evidence kept); text and JSON tests read up to the transport's limit.
_STATUS_READ_LIMIT = 64 * 1024


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic garbage collection while the checks are in flight.

    A run allocates fast enough to trigger a full collection about every other run, and
    one takes 50-60 ms in a process with Django loaded (more in a worker): answers that
    arrive meanwhile wait, and the whole run is late by as much (measured in
    bench/username_enum.py). A run is bounded in time and in what it allocates, so the
    collection is left for after it; the state found is restored, so a caller that had
    turned collection off keeps it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _said(error: Exception) -> str:
    """An error's kind and message, short enough to keep beside a result."""
    message = str(error)
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


class ControlMemory(Protocol):
    """Remembers, per site, whether it answered "found" for a random name."""

    def get(self, site_id: str) -> bool | None: ...

    def set(self, site_id: str, answers_any_name: bool) -> None: ...


class Turn(Protocol):
    state: str  # "ok": may ask, after ``wait`` seconds; "paused", "wait": may not ask
    wait: float
    reason: str


class Turns(Protocol):
    """The sites' shared limits, for turns taken in one step (a site named twice gets
    two turns, in order) and given back unused."""

    def reserve(self, site_ids: list[str], max_wait: float) -> list[Turn]: ...

    def give_back(self, site_ids: list[str]) -> None: ...

    def observe(self, results: "list[CheckResult]") -> None: ...


@dataclass
class RunTurns:
    """The turns one run took before it started: each site's check's, and the control
    check's where one may follow. Waits count from ``taken_at`` (monotonic)."""

    checks: dict[str, Turn]
    controls: dict[str, Turn]
    taken_at: float

    def wait_left(self, turn: Turn) -> float:
        return max(0.0, turn.wait - (time.monotonic() - self.taken_at))


class InMemoryControlMemory:
    def __init__(self) -> None:
        self._known: dict[str, bool] = {}

    def get(self, site_id: str) -> bool | None:
        return self._known.get(site_id)

    def set(self, site_id: str, answers_any_name: bool) -> None:
        self._known[site_id] = answers_any_name


@dataclass
class CheckResult:
    """One site's answer about one name, with what is needed to keep it as evidence."""

    site: Site
    username: str
    state: CheckState
    reason: Reason
    detail: str
    url: str  # the profile's address
    request_url: str  # the address asked (the first of any redirects)
    method: str = "GET"
    status: int | None = None
    final_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    elapsed: float = 0.0
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    requested: bool = True
    control: str = ""  # what the control check said, when one ran
    control_result: "CheckResult | None" = None

    def summary(self) -> dict:
        row = {
            "site": self.site.id,
            "name": self.site.name,
            "state": self.state.value,
            "reason": self.reason.value,
            "detail": self.detail,
            "url": self.url,
            "status": self.status,
            "seconds": round(self.elapsed, 3),
        }
        if self.control:
            row["control"] = self.control
        return row


class UsernameChecker:
    def __init__(
        self,
        transport: SiteTransport,
        *,
        site_timeout: float,
        run_timeout: float,
        control_checks: bool = True,
        control_memory: ControlMemory | None = None,
        on_result: Callable[[CheckResult], None] | None = None,
        turns: Turns | None = None,
    ):
        self.transport = transport
        self.turns = turns
        self.site_timeout = site_timeout
        self.run_timeout = run_timeout
        self.control_checks = control_checks
        self.control_memory = control_memory or InMemoryControlMemory()
        self.on_result = on_result
        self._main: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._turns: RunTurns | None = None
        self._limits: TimeLimits | None = None

    # -- entry points ---------------------------------------------------------------------

    def check(self, username: str, sites: list[Site]) -> list[CheckResult]:
        """Check every site; results come back in the order of ``sites``.

        Runs its own event loop; called where a loop already runs in this thread (an
        async caller, or a library that keeps one), it runs that loop on a thread of its
        own instead of failing.
        """
        turns = self.take_turns(username, sites)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            results = run_loop(self.check_async(username, sites, turns))
        else:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="username-check") as pool:
                results = pool.submit(run_loop, self.check_async(username, sites, turns)).result()
        self.after_run(results, turns)
        return results

    def take_turns(self, username: str, sites: list[Site]) -> RunTurns | None:
        """The run's turns, before its loop starts (see the module's notes)."""
        if self.turns is None:
            return None
        asked = [site.id for site in sites if is_valid_for(site, username)]
        asking = set(asked)
        may_control = [
            site.id
            for site in sites
            if site.id in asking
            and self.control_checks
            and self.control_memory.get(site.id) is None
            and control_possible(site)
        ]
        taken_at = time.monotonic()
        granted = self.turns.reserve(asked + may_control, self._longest_wait(self.run_timeout))
        return RunTurns(
            checks=dict(zip(asked, granted[: len(asked)], strict=True)),
            controls=dict(zip(may_control, granted[len(asked) :], strict=True)),
            taken_at=taken_at,
        )

    def after_run(self, results: list[CheckResult], turns: RunTurns | None) -> None:
        """Give back the control turns no control check used; set the pauses answers
        asked for."""
        if self.turns is None or turns is None:
            return
        controlled = {r.site.id for r in results if r.control_result is not None}
        unused = [
            site_id
            for site_id, turn in turns.controls.items()
            if turn.state == "ok" and site_id not in controlled
        ]
        if unused:
            self.turns.give_back(unused)
        self.turns.observe(results)

    def _longest_wait(self, time_left: float) -> float:
        """A check may wait for its site's turn as long as it can still end in time."""
        return max(0.0, time_left - self.site_timeout)

    def stop(self) -> None:
        """Cancel a run from another thread; open checks become "unknown"."""
        if self._loop is not None and self._main is not None:
            self._loop.call_soon_threadsafe(self._main.cancel)

    async def check_async(
        self, username: str, sites: list[Site], turns: RunTurns | None = None
    ) -> list[CheckResult]:
        """Check every site; with ``turns`` (from ``take_turns``) each site waits for its
        own and is not asked without one."""
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._turns = turns
        results: dict[str, CheckResult] = {}
        to_ask = []
        for site in sites:
            turn = turns.checks.get(site.id) if turns is not None else None
            if not is_valid_for(site, username):
                results[site.id] = self._skipped(site, username)
            elif turns is not None and (turn is None or turn.state != "ok"):
                results[site.id] = self._no_turn(site, username, turn)
            else:
                to_ask.append((site, turns.wait_left(turn) if turns is not None else 0.0))
                continue
            self._report(results[site.id])

        semaphore = asyncio.Semaphore(self.transport.concurrency)
        self._limits = TimeLimits(self.site_timeout)
        with collection_paused():
            async with self.transport.opened():
                tasks = {
                    asyncio.create_task(self._check_site(semaphore, site, username, wait)): site
                    for site, wait in to_ask
                }
                cancelled = False
                if tasks:
                    try:
                        await asyncio.wait(tasks, timeout=self.run_timeout)
                    except asyncio.CancelledError:
                        cancelled = True
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        self._limits.close()
        for task, site in tasks.items():
            results[site.id] = self._outcome(task, site, username, cancelled)
        return [results[site.id] for site in sites]

    # -- one site ---------------------------------------------------------------------------

    def _report(self, result: CheckResult) -> None:
        if self.on_result is not None:
            self.on_result(result)

    def _outcome(
        self, task: asyncio.Task, site: Site, username: str, cancelled: bool
    ) -> CheckResult:
        if not task.cancelled() and task.exception() is None:
            return task.result()
        if task.cancelled():
            reason = "the run was stopped" if cancelled else "the run's time limit was reached"
            verdict = unknown(Reason.RUN_DEADLINE, f"not answered: {reason}")
        else:
            error = task.exception()
            logger.error(
                "Username check failed on an unexpected error: %r",
                error,
                extra={"source": site.id},
            )
            verdict = unknown(Reason.CONNECTION_ERROR, f"check failed: {type(error).__name__}")
        result = self._result(site, username, verdict, site.probe_url(username), site.method)
        self._report(result)
        return result

    async def _check_site(
        self, semaphore: asyncio.Semaphore, site: Site, username: str, wait: float = 0.0
    ) -> CheckResult:
        ahead = None
        if wait > 0 or semaphore.locked():
            # It will wait: its connection (and TLS handshake) can be made meanwhile, a
            # moment later, once the checks that can go now have sent their requests.
            ahead = self._loop.call_later(
                PRECONNECT_AFTER, self.transport.preconnect, site.probe_url(username)
            )
        if wait > 0:
            await asyncio.sleep(wait)  # the site's turn; no place in the semaphore held
        async with semaphore:
            if ahead is not None:
                ahead.cancel()  # nothing to do if its time has come already
            result = await self._probe(site, username)
        if result.state == CheckState.FOUND and self.control_checks:
            result = await self._control(semaphore, site, result)
        # The site is asked nothing more in this run: its connections are let go now
        # rather than held open to the run's end.
        self.transport.done_with(result.request_url, result.final_url)
        self._report(result)
        return result

    async def _control(
        self, semaphore: asyncio.Semaphore, site: Site, result: CheckResult
    ) -> CheckResult:
        remembered = self.control_memory.get(site.id)
        if remembered is not None:
            if remembered:
                return self._answers_any_name(result, "remembered from an earlier control")
            return replace(result, control="passed earlier")
        name = control_name(site)
        if name is None:
            return replace(result, control="not possible: the site's rules admit no random name")
        if self._turns is not None:
            turn = self._turns.controls.get(site.id)
            if turn is None or turn.state != "ok":
                return replace(result, control=f"not run: {self._turn_refusal(turn)}")
            await asyncio.sleep(self._turns.wait_left(turn))
        async with semaphore:
            control = await self._probe(site, name)
        if control.state == CheckState.FOUND:
            self.control_memory.set(site.id, True)
            return self._answers_any_name(
                replace(result, control_result=control), f"a random name ({name}) was found too"
            )
        if control.state == CheckState.NOT_FOUND:
            self.control_memory.set(site.id, False)
            return replace(result, control=f"passed: {name} not found", control_result=control)
        return replace(result, control=f"inconclusive: {control.detail}", control_result=control)

    @staticmethod
    def _answers_any_name(result: CheckResult, why: str) -> CheckResult:
        return replace(
            result,
            state=CheckState.UNKNOWN,
            reason=Reason.ANSWERS_ANY_NAME,
            detail=f"the site says 'found' for any name: {why}",
            control=f"failed: {why}",
        )

    async def _probe(self, site: Site, username: str) -> CheckResult:
        # The result is built once, at the end: hundreds of probes run per name, and
        # rebuilding it after every step showed in the profile.
        started = time.monotonic()
        url = first_url = site.probe_url(username)
        method = site.method
        payload = site.probe_payload(username) if site.payload is not None else None
        profile = site.profile_url(username)
        read_limit = _STATUS_READ_LIMIT if site.detect.method == DetectMethod.STATUS else None
        answer: Answer | None = None
        final_url = ""
        try:
            async with self._limits.limit():
                for _ in range(MAX_REDIRECTS + 1):
                    answer = await self.transport.fetch(
                        method, url, headers=site.headers, payload=payload, read_limit=read_limit
                    )
                    final_url = url
                    location = answer.headers.get("location")
                    if not (300 <= answer.status < 400 and location):
                        verdict = judge(site, answer.status, answer.headers, answer.body)
                        break
                    target = urljoin(url, location)
                    verdict = judge_redirect(site, answer.status, profile, target, username)
                    if verdict is not None:
                        final_url = target
                        break
                    url = target
                    if answer.status in (301, 302, 303) and method == "POST":
                        method, payload = "GET", None
                else:
                    verdict = unknown(
                        Reason.TOO_MANY_REDIRECTS, f"more than {MAX_REDIRECTS} redirects"
                    )
        except TimeoutError:
            verdict = unknown(Reason.TIMEOUT, f"no full answer within {self.site_timeout:g} s")
        except BadAnswer as exc:
            verdict = unknown(Reason.CONNECTION_ERROR, f"the site's answer broke HTTP: {exc}")
        except (OSError, ValueError) as exc:
            verdict = unknown(Reason.CONNECTION_ERROR, f"could not reach the site: {_said(exc)}")
        result = self._result(site, username, verdict, first_url, site.method)
        result.elapsed = time.monotonic() - started
        if answer is not None:
            result.status = answer.status
            result.final_url = final_url
            result.headers = answer.headers
            result.body = answer.body
            result.truncated = answer.truncated
        return result

    @staticmethod
    def _result(
        site: Site, username: str, verdict: Verdict, request_url: str, method: str
    ) -> CheckResult:
        return CheckResult(
            site=site,
            username=username,
            state=verdict.state,
            reason=verdict.reason,
            detail=verdict.detail,
            url=site.profile_url(username),
            request_url=request_url,
            method=method,
        )

    @staticmethod
    def _turn_refusal(turn: Turn | None) -> str:
        if turn is None:
            return "the site's limit gave no turn"
        if turn.state == "paused":
            return f"the site is paused for {turn.wait:.0f} s more ({turn.reason})"
        return f"the site's next free turn is {turn.wait:.0f} s away, past the run's time limit"

    def _no_turn(self, site: Site, username: str, turn: Turn | None) -> CheckResult:
        verdict = unknown(Reason.RATE_LIMITED, f"not asked: {self._turn_refusal(turn)}")
        result = self._result(site, username, verdict, site.probe_url(username), site.method)
        return replace(result, requested=False)

    def _skipped(self, site: Site, username: str) -> CheckResult:
        verdict = not_found(
            Reason.INVALID_USERNAME, "not asked: the site's rules do not allow this name"
        )
        result = self._result(site, username, verdict, site.probe_url(username), site.method)
        return replace(result, requested=False)
