"""Upkeep: health checks, the sweep for stuck jobs, resource samples."""

import logging
import os
import socket
import time
from datetime import timedelta
from enum import StrEnum
from typing import Any

import psutil
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from investigations.services import monitor as monitor_service

from .models import ResourceSample

logger = logging.getLogger(__name__)


class HealthStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"


def _timed(check) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = check()
        return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1), **(detail or {})}
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def _broker() -> dict[str, Any]:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        return {
            "transport": conn.transport_cls
            if isinstance(conn.transport_cls, str)
            else conn.transport.driver_type
        }


def _cache() -> dict[str, Any]:
    key = f"health:{os.getpid()}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("value written was not read back")
    return {}


def _disk() -> dict[str, Any]:
    usage = psutil.disk_usage(str(settings.VAR_DIR))
    if usage.percent > 95:
        raise RuntimeError(f"disk {usage.percent}% full")
    return {"percent": usage.percent}


def health_check() -> dict[str, Any]:
    """Each check with its timing, or its error. The details name internals (database
    vendor, broker address in an error, disk use): for staff and logs, not for anyone
    who can reach the web process; ``status`` alone says whether all passed."""
    checks = {
        "database": _timed(_database),
        "broker": _timed(_broker),
        "cache": _timed(_cache),
        "disk": _timed(_disk),
    }
    ok = all(c["ok"] for c in checks.values())
    return {
        "status": HealthStatus.OK if ok else HealthStatus.DEGRADED,
        "ok": ok,
        "checks": checks,
        "time": timezone.now().isoformat(),
    }


def sweep_stuck_jobs(silence: timedelta | None = None) -> dict[str, int]:
    """Requeue or fail jobs that have sent no heartbeat for too long (one implementation,
    shared with the scraping progress monitor), and finish investigations that still say
    running though all their work has ended, so nothing stays running forever."""
    silence = silence or timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 300)
    swept = monitor_service.sweep_stuck_jobs()
    finished = monitor_service.finish_abandoned_investigations(silence)
    return {**swept, "investigations_finished": finished}


def record_resource_sample() -> ResourceSample:
    memory = psutil.virtual_memory()
    disk = psutil.disk_usage(str(settings.VAR_DIR))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return ResourceSample.objects.create(
        hostname=socket.gethostname()[:255],
        cpu_percent=psutil.cpu_percent(interval=0.5),
        memory_percent=memory.percent,
        disk_percent=disk.percent,
        load_average=load,
        details={"memory_available": memory.available, "disk_free": disk.free},
    )


def prune_resource_samples(keep_days: int = 30) -> int:
    deleted, _ = ResourceSample.objects.filter(
        taken_at__lt=timezone.now() - timedelta(days=keep_days)
    ).delete()
    return deleted
