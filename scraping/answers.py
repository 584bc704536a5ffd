"""The cache of source answers: what a platform said, kept for its lifetime.

A second investigation of the same target within a platform's lifetime reads the
answers from here instead of asking again: faster, and kinder to the platform. A hit is
an ``HttpResponse`` with ``cached`` set and ``fetched_at`` the time it was first fetched,
so evidence and pages can say which data is old and from when.

Only answers that mean the same thing next time are kept: 200 and "not found" (404,
410), whole (not cut off), up to a size bound. Keys include a digest of the request's
credentials, since what a token sees may differ from what anonymous callers see.
"""

import hashlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache

from .platforms import family_of

if TYPE_CHECKING:
    from .http import HttpResponse

logger = logging.getLogger(__name__)

CACHED_METHODS = frozenset({"GET", "HEAD"})
CACHED_STATUSES = frozenset({200, 404, 410})
_CREDENTIAL_HEADERS = ("authorization", "cookie", "x-api-key")


def lifetime(platform: str) -> int:
    """Seconds an answer is kept: the platform's own lifetime, else its family's, else
    the default."""
    table = settings.SOURCE_CACHE_SECONDS
    for name in (platform, family_of(platform), "default"):
        if name in table:
            return int(table[name])
    return 0


def cache_key(
    platform: str,
    method: str,
    url: str,
    params: dict[str, Any] | None,
    headers: dict[str, str] | None,
    scope: str = "",
) -> str:
    """The cache key of a request: who asks (``scope``, the investigation's owner) and
    with which credentials are part of it. Answers are public data, but a cache shared
    between analysts would tell one of them, through "cached from 14:03", that someone
    else looked the same target up at 14:03."""
    query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    identity = "|".join(lowered.get(name, "") for name in _CREDENTIAL_HEADERS)
    digest = hashlib.sha256(f"{scope} {method} {url}?{query} {identity}".encode()).hexdigest()
    return f"answers:{platform}:{digest}"


def read(key: str) -> "HttpResponse | None":
    from .http import HttpResponse

    stored = cache.get(key)
    if not stored:
        return None
    return HttpResponse(
        url=stored["url"],
        status=stored["status"],
        headers=stored["headers"],
        body=stored["body"],
        method=stored["method"],
        fetched_at=datetime.fromisoformat(stored["fetched_at"]),
        cached=True,
    )


def keep(key: str, response: "HttpResponse", platform: str) -> None:
    seconds = lifetime(platform)
    if (
        seconds <= 0
        or response.cached
        or response.truncated
        or response.status not in CACHED_STATUSES
        or len(response.body) > settings.SOURCE_CACHE_MAX_BYTES
    ):
        return
    cache.set(
        key,
        {
            "url": response.url,
            "status": response.status,
            "headers": response.headers,
            "body": response.body,
            "method": response.method,
            "fetched_at": response.fetched_at.isoformat(),
        },
        seconds,
    )
