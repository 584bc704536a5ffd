"""The limits in force for a platform: the admin's row when there is one, else the
default from settings, kept a few seconds in each process so that a busy worker does not
ask the database before every request."""

import threading
import time
from dataclasses import dataclass

from django.conf import settings


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
    rate, burst, concurrent = settings.RATE_LIMITS.get(platform, settings.RATE_LIMITS["default"])
    return Limit(rate, burst, concurrent)


def limit_for(platform: str) -> Limit:
    now = time.monotonic()
    with _lock:
        cached = _cache.get(platform)
    if cached and cached[0] > now:
        return cached[1]

    from ..models import PlatformLimit

    row = PlatformLimit.objects.filter(platform=platform).first()
    limit = (
        Limit(row.requests_per_second, max(1, row.burst), row.max_concurrent)
        if row
        else default_limit(platform)
    )
    with _lock:
        _cache[platform] = (now + settings.RATE_LIMIT_CACHE_SECONDS, limit)
    return limit


def forget_cached_limits() -> None:
    """Read every platform's limits afresh on the next request (tests, admin saves)."""
    with _lock:
        _cache.clear()
