"""Celery configuration. Each value can be changed from the environment.

Read by the Celery app with the ``CELERY_`` namespace, so ``CELERY_TASK_SOFT_TIME_LIMIT``
here is Celery's ``task_soft_time_limit``.
"""

from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from .core import VAR_DIR
from .env import env_bool, env_float, env_int, env_str

# The embedded default broker is kombu's "filesystem" transport: messages are files in
# var/broker, so the demo needs no broker server. See the README for what it lacks.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem://")

CELERY_RESULT_BACKEND = "django-db"
CELERY_CACHE_BACKEND = "django-cache"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = env_int("CELERY_RESULT_EXPIRES", 24 * 3600)

# The five queues, one per domain; tasks are routed by the app that declares them.
OSINT_QUEUES = ("investigations", "scraping", "analysis", "reports", "maintenance")
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in OSINT_QUEUES)
CELERY_TASK_DEFAULT_QUEUE = "investigations"
CELERY_TASK_ROUTES = {
    f"{name}.tasks.*": {"queue": name, "routing_key": name} for name in OSINT_QUEUES
}
CELERY_TASK_ROUTES["celery.*"] = {"queue": "investigations", "routing_key": "investigations"}

CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 7200)
CELERY_TASK_COMPRESSION = env_str("CELERY_TASK_COMPRESSION", "gzip")
# Results live in the database (django-celery-results) so admins can read them there. That
# backend stores text and cannot hold a compressed payload, so result compression applies
# only where a result backend supports it; our task results are small summaries anyway.
CELERY_RESULT_COMPRESSION = env_str("CELERY_RESULT_COMPRESSION", "") or None
CELERY_TASK_DEFAULT_RATE_LIMIT = env_str("CELERY_TASK_DEFAULT_RATE_LIMIT", "100/m")
CELERY_TASK_ACKS_LATE = env_bool("CELERY_TASK_ACKS_LATE", True)
CELERY_TASK_REJECT_ON_WORKER_LOST = env_bool("CELERY_TASK_REJECT_ON_WORKER_LOST", True)
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# Retries of transient faults: at most this many, the delay growing from the base with
# full jitter and capped. Permanent faults (404, validation) are never retried.
OSINT_TASK_MAX_RETRIES = env_int("OSINT_TASK_MAX_RETRIES", 3)
OSINT_TASK_RETRY_BASE_DELAY = env_float("OSINT_TASK_RETRY_BASE_DELAY", 60.0)
OSINT_TASK_RETRY_MAX_DELAY = env_float("OSINT_TASK_RETRY_MAX_DELAY", 900.0)

# A job held back by a platform's shared limit (no turn in time, or the platform paused)
# is sent again without using a retry, this many times at most.
OSINT_RATE_LIMIT_MAX_DEFERRALS = env_int("OSINT_RATE_LIMIT_MAX_DEFERRALS", 1000)

# A wait the upstream asked for (Retry-After, a rate-limit reset) is honoured up to this.
OSINT_TASK_RETRY_AFTER_MAX = env_int("OSINT_TASK_RETRY_AFTER_MAX", 3900)

# With Redis and late acknowledgement, a message that is still unacknowledged when the
# visibility timeout runs out is delivered again. Keep it above the hard time limit plus
# the longest retry countdown, so that only a dead worker's tasks come back.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int(
        "CELERY_VISIBILITY_TIMEOUT",
        max(CELERY_TASK_TIME_LIMIT, OSINT_TASK_RETRY_AFTER_MAX)
        + int(OSINT_TASK_RETRY_MAX_DELAY)
        + 600,
    ),
}
# A countdown longer than the visibility timeout would have Redis deliver the waiting
# message a second time.
if OSINT_TASK_RETRY_AFTER_MAX >= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
    raise ImproperlyConfigured(
        "OSINT_TASK_RETRY_AFTER_MAX must stay below CELERY_VISIBILITY_TIMEOUT"
    )
if BROKER_IS_FILESYSTEM:
    for _sub in ("out", "processed", "control"):
        (_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The filesystem transport has no pub/sub, so no task events; polling is every second.
    CELERY_WORKER_SEND_TASK_EVENTS = False

CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Message signing with Celery's "auth" serializer. When on, the worker accepts only
# messages signed by a key whose certificate is in the store, and refuses the rest.
CELERY_SIGNING_ENABLED = env_bool("CELERY_SIGNING_ENABLED", False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_ACCEPT_CONTENT = ["json"]
if CELERY_SIGNING_ENABLED:
    _signing_dir = VAR_DIR / "signing"
    CELERY_SECURITY_KEY = env_str("CELERY_SECURITY_KEY", str(_signing_dir / "worker.key"))
    CELERY_SECURITY_CERTIFICATE = env_str(
        "CELERY_SECURITY_CERTIFICATE", str(_signing_dir / "worker.crt")
    )
    CELERY_SECURITY_CERT_STORE = env_str("CELERY_SECURITY_CERT_STORE", str(_signing_dir / "*.crt"))
    CELERY_SECURITY_DIGEST = "sha256"
    CELERY_TASK_SERIALIZER = "auth"
    CELERY_ACCEPT_CONTENT = ["auth"]
