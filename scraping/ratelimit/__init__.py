"""Per-platform limits shared by every worker: the small API any source client calls.

    with ratelimit.slot("github"):        # waits for a turn (and for any pause to end)
        response = send()
    ratelimit.observe("github", response.status, response.headers)

``HttpClient(platform=...)`` does both around every request, so HTTP sources need
nothing more; a client on another protocol (WHOIS) wraps its queries in ``slot`` and
calls ``pause`` when its server says to slow down. A run that asks many platforms once
each (the username sites) takes all its turns in one step with ``reserve_turns`` and
gives back the unused ones with ``give_back_turns``.

A platform's rate, burst and concurrency come from the admin's row or the settings'
default (see ``limits``). Upstream signals win over our own numbers: a Retry-After, a
quota reset, a 429 pause the platform for every worker until the time given.
"""

import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.conf import settings

from investigations.errors import RateLimited

from .buckets import Grant, LocalBuckets, PlatformState, RedisBuckets
from .limits import Limit, default_limit, forget_cached_limits, limit_for, limits_for
from .signals import upstream_pause

logger = logging.getLogger(__name__)

__all__ = [
    "Grant",
    "Limit",
    "PlatformState",
    "default_limit",
    "forget_cached_limits",
    "give_back_turns",
    "limit_for",
    "limits_for",
    "observe",
    "pause",
    "paused",
    "reserve_turns",
    "resume",
    "seen",
    "slot",
    "state",
]

# How long a worker waits before asking again for a concurrency slot.
_BUSY_POLL = 0.02
# The longest pause asked for that messages give in seconds; beyond, "over 100 days".
_LONGEST_SHOWN = 100 * 86400
_backend: RedisBuckets | LocalBuckets | None = None


def backend() -> RedisBuckets | LocalBuckets:
    global _backend
    if _backend is None:
        url = settings.RATE_LIMIT_REDIS_URL
        if url:
            import redis

            prefix = settings.CACHES["default"].get("KEY_PREFIX") or "osint"
            _backend = RedisBuckets(redis.Redis.from_url(url), f"{prefix}:ratelimit")
        else:
            _backend = LocalBuckets()
    return _backend


def _wait_or_give_up(platform: str, grant: Grant, deadline: float) -> None:
    """Sleep until it is worth asking again, or hand the job back to Celery when the
    wait would keep this worker idle past the bound."""
    if grant.state == "busy":
        delay = _BUSY_POLL * random.uniform(0.5, 1.5)
    else:
        delay = grant.wait
    if time.monotonic() + delay > deadline:
        if grant.state == "paused":
            message = f"{platform} is paused for {grant.wait:.0f} s more: {grant.reason}"
        else:
            message = f"{platform} had no free turn within {settings.RATE_LIMIT_MAX_WAIT:.0f} s"
        raise RateLimited(message, retry_after=max(delay, 1.0))
    time.sleep(delay)


@contextmanager
def slot(platform: str, *, lease_seconds: float = 120.0) -> Iterator[None]:
    """Wait for this platform's next turn, then hold one of its concurrency slots for the
    block. A slot whose holder died is freed after ``lease_seconds``."""
    limit = limit_for(platform)
    buckets = backend()
    lease = uuid.uuid4().hex
    deadline = time.monotonic() + settings.RATE_LIMIT_MAX_WAIT
    while True:
        grant = buckets.try_acquire(platform, limit, lease, lease_seconds)
        if grant.state == "ok":
            break
        _wait_or_give_up(platform, grant, deadline)
    if grant.wait > 0:
        time.sleep(grant.wait)
    try:
        yield
    finally:
        if limit.max_concurrent:
            buckets.release(platform, lease)


def reserve_turns(
    platforms: list[str], max_wait: float, limits: dict[str, Limit] | None = None
) -> list[Grant]:
    """A turn on each platform named, in order (one named twice gets two), granted up to
    ``max_wait`` ahead: a grant "ok" with a wait means send after that many seconds;
    "paused" and "wait" (no turn within ``max_wait``) mean do not send. No concurrency
    slot is held. ``limits``: those in force, when the caller has read them already."""
    limits = limits or limits_for(platforms)
    return backend().reserve_many([(p, limits[p]) for p in platforms], max_wait)


def give_back_turns(platforms: list[str], limits: dict[str, Limit] | None = None) -> None:
    """Turns taken by ``reserve_turns`` and not used: each platform's next turn comes
    one interval sooner, as if it had not been taken."""
    limits = limits or limits_for(platforms)
    backend().give_back([(p, limits[p]) for p in platforms])


def seen() -> set[str]:
    """Every platform asked in the last week (by any worker, when shared)."""
    return backend().seen()


def paused() -> list[tuple[str, float, str]]:
    """Platforms paused now: (name, until as Unix time, reason)."""
    return backend().paused()


def pause(platform: str, seconds: float, reason: str) -> datetime:
    """Stop every worker's requests to this platform for ``seconds``, at most
    RATE_LIMIT_MAX_PAUSE (an answer is hostile input: a reset in the year 5000 must not
    shut a platform for everyone); a pause already running longer is kept. Returns when
    the pause ends."""
    longest = settings.RATE_LIMIT_MAX_PAUSE
    if seconds > longest:
        # An answer may ask for no end at all (inf) or for ages; its number is not shown.
        asked = f"{seconds:.0f} s" if seconds <= _LONGEST_SHOWN else "over 100 days"
        logger.warning(
            "Pause of %s asked for; kept to %.0f s", asked, longest, extra={"source": platform}
        )
        reason = f"{reason} (asked {asked}, kept to {longest:.0f} s)"
        seconds = longest
    until = backend().pause(platform, seconds, reason[:200])
    logger.warning("Platform paused for %.0f s: %s", seconds, reason, extra={"source": platform})
    return datetime.fromtimestamp(until, tz=UTC)


def resume(platform: str) -> None:
    backend().resume(platform)


def state(platform: str) -> PlatformState:
    return backend().state(platform)


def observe(platform: str, status: int, headers: dict[str, str]) -> float | None:
    """Read an answer's rate-limit signals and pause the platform when it asks; return
    the pause in seconds, or None."""
    signal = upstream_pause(status, headers, time.time(), default=settings.RATE_LIMIT_DEFAULT_PAUSE)
    if signal is None:
        return None
    seconds, reason = signal
    if seconds > 0:
        pause(platform, seconds, reason)
    return seconds
