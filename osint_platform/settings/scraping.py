"""Scraping at scale: per-platform rate limits shared by every worker, the cache of source
answers, and the bounded fan-out of collection work.

A platform is named as its source is (``github``, ``bluesky``, ``crtsh``...); where each
host has limits of its own the name is family and host (``mastodon:mastodon.social``,
``whois:whois.denic.de``, ``web:example.com``, ``site:github`` for a username site; see
``scraping.platforms``), and a host without an entry gets its family's. A platform
missing from a table below gets its ``default`` entry, so a new source is polite from its
first request; give it a line here when its published limits are known.
"""

import math

from django.core.exceptions import ImproperlyConfigured

from .celery import CELERY_BROKER_TRANSPORT_OPTIONS
from .core import REDIS_URL
from .env import env_bool, env_float, env_int, env_map, env_str

# The slowest rate a limit may have, one request in 1,000 s (0 means no limit): the time
# between turns is kept in Redis in milliseconds, and a slower rate overflows it.
RATE_LIMIT_MIN_RATE = 0.001


def _limits(raw: dict[str, str]) -> dict[str, tuple[float, int, int]]:
    """``requests per second:burst:concurrent requests`` per platform."""
    limits = {}
    for platform, text in raw.items():
        parts = text.split(":")
        try:
            rate, burst, concurrent = float(parts[0]), int(parts[1]), int(parts[2])
        except (IndexError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"RATE_LIMITS: {platform}={text!r} must be rate:burst:concurrent, e.g. 5:10:8"
            ) from exc
        if not (rate == 0 or RATE_LIMIT_MIN_RATE <= rate < math.inf):
            raise ImproperlyConfigured(
                f"RATE_LIMITS: {platform}={text!r}: the rate must be 0 (no limit) or at least "
                f"{RATE_LIMIT_MIN_RATE} requests a second (one in {1 / RATE_LIMIT_MIN_RATE:,.0f} s)"
            )
        limits[platform] = (rate, max(1, burst), max(0, concurrent))
    return limits


# Defaults per platform; admins override them per platform or family in the admin
# (Platform limits), and those rows win without a restart. Upstream signals (Retry-After,
# quota resets, 429) pause a platform whatever these say.
RATE_LIMITS = _limits(
    env_map(
        "RATE_LIMITS",
        {
            "default": "2:5:4",
            # 5,000 requests an hour with a token; bursts of concurrent requests trip its
            # "secondary" limits.
            "github": "5:10:8",
            # Each instance by default allows 300 requests in 5 minutes from one address.
            "mastodon": "1:10:4",
            # The public AppView allows 3,000 requests in 5 minutes from one address.
            "bluesky": "10:20:8",
            # Per RDAP and per WHOIS server: registries publish no numbers, and several
            # (DENIC, Verisign's WHOIS) block addresses that ask fast.
            "rdap": "2:5:2",
            "whois": "1:5:2",
            # crt.sh is a shared volunteer service that is often overloaded.
            "crtsh": "1:3:2",
            # Per site named by a target, and per username site: a few requests each.
            "web": "2:5:2",
            "site": "2:4:0",
        },
    )
)
# Where the shared buckets live. Without Redis (the embedded demo) each process keeps
# its own buckets: limits then hold per process only, which the admin page says.
RATE_LIMIT_REDIS_URL = env_str("RATE_LIMIT_REDIS_URL", REDIS_URL)
# Requests are spaced this fraction below the configured rate: the platform counts what
# arrives by its own clock, and the time between our grant and its arrival varies by a
# few milliseconds, which at the exact rate can tip one of its seconds over the limit.
RATE_LIMIT_HEADROOM = env_float("RATE_LIMIT_HEADROOM", 0.05)
# Limits read from the database are kept this long in each process.
RATE_LIMIT_CACHE_SECONDS = env_float("RATE_LIMIT_CACHE_SECONDS", 5.0)
# A request waits in the worker at most this long for its turn or for a pause to end;
# a longer wait hands the job back to Celery, sent again when the platform is open (a
# wait, not a fault: it uses no retry). Short, so that a worker's slots are not all held
# by jobs waiting on one busy platform while others' jobs queue.
RATE_LIMIT_MAX_WAIT = env_float("RATE_LIMIT_MAX_WAIT", 10.0)
# A 429 that gives no time to come back (or zero, or a time past) pauses its platform this
# long.
RATE_LIMIT_DEFAULT_PAUSE = env_float("RATE_LIMIT_DEFAULT_PAUSE", 30.0)
# The longest pause an answer can impose (Retry-After, a quota reset): GitHub's quotas
# reset within the hour; a longer wait asked for is kept to this.
RATE_LIMIT_MAX_PAUSE = env_float("RATE_LIMIT_MAX_PAUSE", 3900.0)

# Source answers are kept this many seconds per platform; 0 turns the cache off there.
SOURCE_CACHE_SECONDS = {
    platform: int(seconds)
    for platform, seconds in env_map(
        "SOURCE_CACHE_SECONDS", {"default": "3600", "github": "3600", "crtsh": "21600"}
    ).items()
}
# Force fresh data everywhere: cached answers are never read (new answers still are kept).
SOURCE_CACHE_FORCE_FRESH = env_bool("SOURCE_CACHE_FORCE_FRESH", False)
# Larger answers are not cached: they are rare, and Redis memory is better spent elsewhere.
SOURCE_CACHE_MAX_BYTES = env_int("SOURCE_CACHE_MAX_BYTES", 1024 * 1024)

# Collection work is sent to the broker in batches of this size, and no more than the
# window is queued or running at once per investigation, so a list of thousands of
# targets never sits whole in the broker or in a canvas in memory.
OSINT_DISPATCH_BATCH = env_int("OSINT_DISPATCH_BATCH", 100)
OSINT_DISPATCH_WINDOW = env_int("OSINT_DISPATCH_WINDOW", 400)
# The most targets one bulk request may carry.
OSINT_BULK_MAX_TARGETS = env_int("OSINT_BULK_MAX_TARGETS", 20000)
# A request body (other than an uploaded file) may carry a bulk list at its largest: the
# most targets at 600 bytes each (the longest line a target file may have: 512
# characters, quoted and escaped in JSON), plus 1 MiB for the other fields. Django's
# default, 2.5 MB, refused lists of a few thousand long targets.
DATA_UPLOAD_MAX_MEMORY_SIZE = OSINT_BULK_MAX_TARGETS * 600 + 1024 * 1024
# A running job with no heartbeat for this long is taken as lost: requeued while it has
# attempts left, failed after. Heartbeats come with each step and each HTTP request, so
# silence this long means the worker died.
OSINT_JOB_STUCK_SECONDS = env_int("OSINT_JOB_STUCK_SECONDS", 900)
# A job sent to the broker and still queued after this long is taken as a lost message
# (a worker died between recording the send and sending): sent again under a new task
# id, which makes the old message, should it still arrive, a no-op. By then Redis has
# delivered again anything a lost worker held, hence the visibility timeout as floor.
OSINT_JOB_QUEUED_STALE_SECONDS = env_int(
    "OSINT_JOB_QUEUED_STALE_SECONDS",
    CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 8700) + 600,
)
# A queued investigation whose pipeline task has not started after this long has its
# pipeline task sent again (the broker was down when it was queued, or the message was
# lost); a second delivery finds it running and does nothing.
OSINT_QUEUED_RESEND_SECONDS = env_int("OSINT_QUEUED_RESEND_SECONDS", 300)
# Collection tasks get their own Celery rate limit per worker, above the 100/minute
# default every other task keeps: the platform buckets above are what keeps collection
# polite, and at 100/minute a list of thousands would wait on Celery, not on platforms.
OSINT_COLLECTION_TASK_RATE_LIMIT = env_str("OSINT_COLLECTION_TASK_RATE_LIMIT", "1200/m")
