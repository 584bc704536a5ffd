"""Helpers over Celery's control API: send by name, task status, revoke, purge.

Everything refers to tasks by registered name, so callers need not import the app that
declares a task.
"""

import logging
import sys
import uuid
from typing import Any

from celery import current_app
from celery.result import AsyncResult

logger = logging.getLogger(__name__)


def new_task_id() -> str:
    return str(uuid.uuid4())


def send(
    task_name: str,
    *,
    args: tuple = (),
    kwargs: dict | None = None,
    task_id: str | None = None,
    **options: Any,
) -> AsyncResult:
    # Through a signature rather than send_task, so that eager mode (tests) is honoured.
    signature = current_app.signature(task_name, args=args, kwargs=kwargs or {})
    return signature.apply_async(task_id=task_id, **options)


def task_status(task_id: str) -> dict[str, Any]:
    """State, result or error, and timing of one task, from the result backend."""
    result = AsyncResult(task_id, app=current_app)
    state = result.state
    info: dict[str, Any] = {"task_id": task_id, "state": state}
    if state == "SUCCESS":
        info["result"] = result.result
    elif state in ("FAILURE", "RETRY", "REVOKED"):
        info["error"] = (
            f"{type(result.result).__name__}: {result.result}" if result.result else state
        )
    info["name"] = getattr(result, "name", None)
    info["date_done"] = result.date_done.isoformat() if result.date_done else None
    return info


def revoke(task_ids: list[str], *, terminate: bool = False) -> None:
    """Revoke tasks; with ``terminate`` the worker process running one is signalled too."""
    ids = [task_id for task_id in task_ids if task_id]
    if not ids:
        return
    try:
        current_app.control.revoke(ids, terminate=terminate, signal="SIGTERM")
    except Exception:  # noqa: BLE001 - a broker without broadcast still has the status guard
        logger.warning("Could not broadcast revoke for %d tasks", len(ids), exc_info=True)


def purge_queue(queue_name: str) -> int:
    """Drop every message waiting in one queue; return how many there were."""
    with current_app.connection_for_write() as connection:
        channel = connection.default_channel
        return channel.queue_purge(queue_name) or 0


def broker_reachable(timeout: float = 3.0) -> bool:
    """One quick try at the broker, without the long retry loop of a normal connection.

    A broker transport that cannot even be loaded (a package missing) is not a broker
    that does not answer: that error goes up as it is, to be read and fixed."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except ImportError:
        raise
    except Exception:  # noqa: BLE001 - any other fault means the broker cannot be used now
        return False
    return True


def ping_workers(timeout: float = 2.0) -> list[str]:
    """Names of the workers that answer within the timeout."""
    try:
        replies = current_app.control.ping(timeout=timeout) or []
    except Exception:  # noqa: BLE001 - no broker means no worker either
        logger.warning("Worker ping failed", exc_info=True)
        return []
    return [name for reply in replies for name in reply]


def worker_command(
    name: str, queues: list[str] | tuple[str, ...], *, concurrency: int = 2
) -> list[str]:
    """The command line of a worker process for these queues, in this interpreter."""
    return [
        sys.executable, "-m", "celery", "-A", "osint_platform", "worker",
        "-Q", ",".join(queues), "-c", str(concurrency), "-n", name,
        "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
