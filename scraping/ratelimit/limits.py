"""The limits in force for a platform, the first found of: the admin's row for the
platform, the admin's row for its family, the settings' default for the platform, for
its family, and ``default``. Only rows an admin set count: a row the admin page added
follows settings until an admin changes it. They are kept a few seconds in each process
so that a busy worker does not ask the database before every request."""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from ..platforms import family_of


@dataclass(frozen=True)
class Limit:
    requests_per_second: float  # 0: no rate limit
    burst: int
    max_concurrent: int  # 0: any number

    @property
    def interval(self) -> float:
        """Seconds between two grants, kept the headroom below the configured rate."""
        if self.requests_per_second <= 0:
            return 0.0
        return 1.0 / (self.requests_per_second * (1.0 - settings.RATE_LIMIT_HEADROOM))


_cache: dict[str, tuple[float, Limit]] = {}
_lock = threading.Lock()


def default_limit(platform: str) -> Limit:
    table = settings.RATE_LIMITS
    rate, burst, concurrent = (
        table.get(platform) or table.get(family_of(platform)) or table["default"]
    )
    return Limit(rate, burst, concurrent)


def _rate(requests_per_second: float) -> float:
    """A row's rate, no slower than RATE_LIMIT_MIN_RATE: the admin form refuses slower
    ones, but a row written otherwise must not overflow the buckets and stop every
    request to its platform."""
    if requests_per_second <= 0:
        return 0.0
    if not requests_per_second >= settings.RATE_LIMIT_MIN_RATE:  # also NaN
        return settings.RATE_LIMIT_MIN_RATE
    return requests_per_second


def limit_for(platform: str) -> Limit:
    return limits_for([platform])[platform]


def limits_for(platforms: list[str]) -> dict[str, Limit]:
    """The limit of each platform, with one database query for all those not cached."""
    now = time.monotonic()
    found: dict[str, Limit] = {}
    with _lock:
        for platform in platforms:
            cached = _cache.get(platform)
            if cached and cached[0] > now:
                found[platform] = cached[1]
    missing = [p for p in dict.fromkeys(platforms) if p not in found]
    if not missing:
        return found

    from ..models import PlatformLimit

    names = set(missing) | {family_of(p) for p in missing}
    rows = {
        row.platform: Limit(_rate(row.requests_per_second), max(1, row.burst), row.max_concurrent)
        for row in PlatformLimit.objects.filter(platform__in=names, overridden=True)
    }
    expires = now + settings.RATE_LIMIT_CACHE_SECONDS
    with _lock:
        for platform in missing:
            limit = rows.get(platform) or rows.get(family_of(platform)) or default_limit(platform)
            _cache[platform] = (expires, limit)
            found[platform] = limit
    return found


def forget_cached_limits() -> None:
    """Read every platform's limits afresh on the next request (tests, admin saves)."""
    with _lock:
        _cache.clear()
