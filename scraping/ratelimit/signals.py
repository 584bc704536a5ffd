"""Reading an upstream's own word on when to come back.

Each platform says it in its own way: ``Retry-After`` in seconds or as an HTTP date;
``x-ratelimit-reset`` (GitHub) as a Unix time, elsewhere as seconds from now or as an
ISO 8601 time (Mastodon). All are turned into seconds from now.
"""

import math
from datetime import datetime
from email.utils import parsedate_to_datetime

# A reset number this large is a Unix time; smaller ones count seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000
# Refusals whose Retry-After pauses the platform (GitHub refuses secondary limits with 403).
PAUSING_STATUSES = frozenset({403, 429, 503})
TOO_MANY_REQUESTS = 429


def seconds_until(value: str | None, now: float) -> float | None:
    """Seconds from ``now`` (Unix time) to the moment ``value`` names: 0 for a moment
    past, infinity for one without end; None if unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if math.isnan(number):
            return None
        if number >= _EPOCH_THRESHOLD:
            return max(0.0, number - now)
        return max(0.0, number)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


def upstream_pause(
    status: int, headers: dict[str, str], now: float, *, default: float
) -> tuple[float, str] | None:
    """How long the platform asked us to stay away, and why; None when it did not.

    Retry-After is honoured on a refusal that carries it (429, 503, and GitHub's 403
    secondary limit). A quota at zero with a reset time pauses until the reset, even on
    a successful answer: the next request would be refused. A 429 whose own time is
    missing, unreadable, zero or past pauses for the default, as it refused us all the
    same; a bare 503 is a fault, retried by its job, not a pause.
    """
    retry_after = seconds_until(headers.get("retry-after"), now)
    if retry_after is not None and status in PAUSING_STATUSES:
        if status != TOO_MANY_REQUESTS or retry_after > 0:
            return retry_after, f"HTTP {status} with Retry-After"
    remaining = (headers.get("x-ratelimit-remaining") or "").strip()
    if remaining == "0":
        reset = seconds_until(headers.get("x-ratelimit-reset"), now)
        if reset is not None and (status != TOO_MANY_REQUESTS or reset > 0):
            return reset + 1.0, f"HTTP {status}: request quota used up until its reset"
    if status == TOO_MANY_REQUESTS:
        if headers.get("retry-after"):
            return default, f"HTTP {status} with a Retry-After that names no time to wait"
        return default, f"HTTP {status} without Retry-After"
    return None
