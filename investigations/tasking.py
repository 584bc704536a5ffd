"""The one way a task runs a unit of work: guard, run the service, record the outcome.

Tasks stay a few lines: they name their job and hand a service function to ``run_job``.
The runner owns the habits every task shares: a second delivery does nothing, a cancelled
investigation stops the work, transient faults retry with backoff and jitter, permanent
ones fail at once, and whatever happens the job, its target and the investigation's
progress are recorded, so the pipeline always moves on.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .errors import (
    CollectionError,
    JobCancelled,
    NotFoundError,
    PermanentError,
    RateLimited,
    TransientError,
)
from .models import Investigation, JobPhase, JobState
from .services import jobs as job_service
from .services import progress as progress_service
from .text import error_message, printable

logger = logging.getLogger(__name__)


# Heartbeats are written at most this often per job (seconds).
HEARTBEAT_EVERY = 10.0
_current_job: ContextVar["JobContext | None"] = ContextVar("current_job", default=None)


def current_job() -> "JobContext | None":
    """The job this code runs in, if any: lets shared layers (HTTP) report to it."""
    return _current_job.get()


class JobTask(Task):
    """Base for tasks that do work: acknowledged only once done, so a worker killed
    mid-task loses nothing; the job guard makes the second delivery harmless."""

    acks_late = True
    reject_on_worker_lost = True
    max_retries = settings.OSINT_TASK_MAX_RETRIES


@dataclass
class JobContext:
    """What a service sees of the job it runs in."""

    investigation_id: int
    job_id: int
    target_id: int | None = None
    task_id: str | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Force fresh data: cached source answers are not read (the investigation's option).
    fresh: bool = False
    cached_answers: int = 0
    cached_since: datetime | None = None
    # Steps an earlier attempt of this job finished, and how many attempts are left.
    previous_steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries_left: int = 0
    _last_heartbeat: float = field(default_factory=time.monotonic)
    _mode: str | None = None
    _owner: str | None = None

    def check_cancelled(self) -> None:
        if job_service.is_cancelled(self.investigation_id):
            raise JobCancelled()

    def progress(self, percent: int) -> None:
        """Record progress and a heartbeat; stop here if the investigation was cancelled."""
        job_service.record_progress(self.job_id, percent)
        self.check_cancelled()

    def heartbeat(self) -> None:
        """Tell the stuck-job sweep this job is alive; written at most every few seconds,
        so the HTTP layer can call it before each request."""
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT_EVERY:
            self._last_heartbeat = now
            job_service.record_heartbeat(self.job_id)

    def used_cached_answer(self, fetched_at: datetime) -> None:
        """An answer came from the cache of source answers, fetched at ``fetched_at``."""
        self.cached_answers += 1
        if self.cached_since is None or fetched_at < self.cached_since:
            self.cached_since = fetched_at

    @property
    def cache_summary(self) -> dict[str, Any] | None:
        if not self.cached_answers:
            return None
        return {"answers": self.cached_answers, "fetched_at": self.cached_since.isoformat()}

    def note(self, message: str) -> None:
        """A problem worth showing that did not stop the work (a part not available)."""
        self.notes.append(printable(message, 500))

    @property
    def cache_scope(self) -> str:
        """Whose cached source answers this job may read and add to: its investigation's
        owner's (investigations without an owner, from the command line, share one)."""
        if self._owner is None:
            owner_id = (
                Investigation.objects.filter(pk=self.investigation_id)
                .values_list("owner_id", flat=True)
                .first()
            )
            self._owner = f"owner:{owner_id}" if owner_id else "owner:none"
        return self._owner

    @property
    def mode(self) -> str:
        """The investigation's analysis mode (quick, detailed, comprehensive): how deep
        its sources dig."""
        if self._mode is None:
            self._mode = (
                Investigation.objects.filter(pk=self.investigation_id)
                .values_list("mode", flat=True)
                .first()
            ) or "quick"
        return self._mode

    def each(self, items: list, start: int, end: int, every: int = 50) -> Iterator:
        """Iterate over items, reporting progress from ``start`` to ``end`` percent (and a
        heartbeat, and a cancellation check) every ``every`` items."""
        total = len(items) or 1
        for index, item in enumerate(items):
            if index and index % every == 0:
                self.progress(start + (end - start) * index // total)
            yield item

    def step_done_before(self, name: str) -> bool:
        """True when an earlier attempt of this job finished the step: a retry goes on
        from where the faults were, instead of doing every part again."""
        if self.previous_steps.get(name, {}).get("state") != "succeeded":
            return False
        self.steps[name] = {**self.previous_steps[name], "earlier_attempt": True}
        return True

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one part of a job so that its failure leaves the other parts.

        The outcome of each part is kept in the job's result under ``steps``; a failed part
        makes the target "partial" rather than failing it. Cancellation still stops the
        whole job, and so does a part held back by a platform's limit: the job is sent
        again for it (``RateLimited``), and the parts finished before are kept.
        """
        started = time.monotonic()
        try:
            yield
        except (JobCancelled, RateLimited):
            raise
        except Exception as exc:  # noqa: BLE001 - one part's fault must not stop the others
            if not isinstance(exc, CollectionError):
                logger.exception(
                    "Step %s failed on an unexpected error", name, extra=self.log_extra
                )
            else:
                logger.warning(
                    "Step %s failed: %s", name, printable(str(exc)), extra=self.log_extra
                )
            message = (
                printable(str(exc))
                if isinstance(exc, CollectionError)
                else f"Unexpected error: {error_message(exc)}"
            )
            self.steps[name] = {
                "state": "failed",
                "error": message[:1000],
                "seconds": round(time.monotonic() - started, 3),
            }
        else:
            self.steps[name] = {
                "state": "succeeded",
                "seconds": round(time.monotonic() - started, 3),
            }

    @property
    def log_extra(self) -> dict[str, Any]:
        return {
            "investigation_id": self.investigation_id,
            "job_id": self.job_id,
            "task_id": self.task_id,
            "source": self.source or None,
        }


def retry_delay(retries: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: the upstream's hint when given (bounded by
    OSINT_TASK_RETRY_AFTER_MAX), else exponential backoff from the base delay with jitter,
    under OSINT_TASK_RETRY_MAX_DELAY."""
    cap = settings.OSINT_TASK_RETRY_MAX_DELAY
    if retry_after is not None and retry_after > 0:
        # An upstream that says when (a rate-limit reset) is waited for, up to a bound
        # kept under the broker's visibility timeout.
        return min(settings.OSINT_TASK_RETRY_AFTER_MAX, retry_after + random.uniform(0, 1))
    ceiling = min(cap, settings.OSINT_TASK_RETRY_BASE_DELAY * (2**retries))
    return random.uniform(ceiling / 2, ceiling)


def _kept_for_next_attempt(
    stored: dict[str, Any] | None, ctx: "JobContext", deferrals: int
) -> dict[str, Any]:
    """What the next attempt reads: the steps finished (this attempt's, else those kept
    from before) and how many times the job waited for a platform's turn."""
    kept = dict(stored or {})
    if ctx.steps:
        kept["steps"] = ctx.steps
    kept["deferrals"] = deferrals
    return kept


def run_job(
    task: Task,
    *,
    investigation_id: int,
    phase: str,
    name: str,
    work: Callable[[JobContext], dict[str, Any] | None],
    target_id: int | None = None,
) -> dict[str, Any]:
    task_id = task.request.id
    job = job_service.begin_job(
        investigation_id,
        phase=phase,
        name=name,
        task_name=task.name,
        celery_task_id=task_id,
        target_id=target_id,
    )
    if job is None:
        return {"state": "skipped"}

    # Sends that only waited for a platform's turn are not faults: they do not count
    # against the retries (see RateLimited).
    deferrals = int((job.result or {}).get("deferrals", 0))
    faults = task.request.retries - deferrals
    ctx = JobContext(
        investigation_id,
        job.pk,
        target_id,
        task_id,
        source=name,
        fresh=_wants_fresh(job),
        previous_steps=job.result.get("steps", {}) if job.attempts > 1 else {},
        retries_left=task.max_retries - faults,
    )
    started = time.monotonic()
    logger.info("Job started: %s %s (attempt %d)", phase, name, job.attempts, extra=ctx.log_extra)
    state, error, result = JobState.FAILED, "", {}
    token = _current_job.set(ctx)
    try:
        result = work(ctx) or {}
        state = JobState.SUCCEEDED
    except JobCancelled:
        state, error = JobState.CANCELLED, "Cancelled"
    except NotFoundError as exc:
        error, result = printable(str(exc)), {"outcome": "not_found"}
    except RateLimited as exc:
        if deferrals < settings.OSINT_RATE_LIMIT_MAX_DEFERRALS:
            delay = retry_delay(0, max(exc.retry_after or 0.0, 1.0))
            logger.info(
                "Waiting for a platform's turn, sent again in %.0f s (%d times so far): %s",
                delay,
                deferrals + 1,
                printable(str(exc)),
                extra=ctx.log_extra,
            )
            job_service.mark_retrying(
                job.pk,
                printable(f"Waiting for its turn: {exc}"),
                result=_kept_for_next_attempt(job.result, ctx, deferrals + 1),
            )
            raise task.retry(
                exc=exc, countdown=delay, max_retries=task.request.retries + 1
            ) from exc
        error = printable(f"Gave up after waiting {deferrals} times for its turn: {exc}")
    except TransientError as exc:
        if faults < task.max_retries:
            delay = retry_delay(faults, exc.retry_after)
            logger.warning(
                "Transient fault, retry %d of %d in %.0f s: %s",
                faults + 1,
                task.max_retries,
                delay,
                printable(str(exc)),
                extra=ctx.log_extra,
            )
            job_service.mark_retrying(
                job.pk,
                printable(f"Retrying after: {exc}"),
                result=_kept_for_next_attempt(job.result, ctx, deferrals),
            )
            raise task.retry(
                exc=exc, countdown=delay, max_retries=task.max_retries + deferrals
            ) from exc
        error = printable(f"Gave up after {faults + 1} attempts: {exc}")
    except PermanentError as exc:
        error = printable(str(exc))
    except SoftTimeLimitExceeded:
        error = f"Stopped at the time limit of {task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT} s"
    except Exception as exc:  # noqa: BLE001 - one odd answer must not stop the pipeline
        logger.exception("Job failed on an unexpected error", extra=ctx.log_extra)
        error = f"Unexpected error: {error_message(exc)}"
    finally:
        _current_job.reset(token)

    if ctx.notes:
        result = {**result, "notes": ctx.notes}
    if ctx.steps:
        result = {**result, "steps": ctx.steps}
    if ctx.cache_summary:
        result = {**result, "cache": ctx.cache_summary}
    if deferrals:
        result = {**result, "deferrals": deferrals}
    job_service.finish_job(job.pk, state=state, error=error, result=result)
    progress_service.refresh_after_job(investigation_id, target_id)
    if phase == JobPhase.SCRAPING:
        # Imported here: the pipeline queues tasks, and tasks import this module.
        from . import pipeline

        pipeline.collection_progressed(investigation_id)
    elapsed = time.monotonic() - started
    log = logger.info if state == JobState.SUCCEEDED else logger.warning
    log(
        "Job finished: %s %s %s in %.2f s%s",
        phase,
        name,
        state,
        elapsed,
        f": {error}" if error else "",
        extra=ctx.log_extra,
    )
    return {"state": str(state), "error": error, **result}


def _wants_fresh(job) -> bool:
    if settings.SOURCE_CACHE_FORCE_FRESH:
        return True
    options = (
        Investigation.objects.filter(pk=job.investigation_id)
        .values_list("options", flat=True)
        .first()
    )
    return bool((options or {}).get("fresh"))


def run_target_job(
    task: Task,
    target_id: int,
    *,
    source: str,
    work: Callable[[JobContext, str], dict[str, Any] | None],
) -> dict[str, Any]:
    """Run one collector on one target; the service gets the target's normalised value."""
    from .models import Target

    target = Target.objects.filter(pk=target_id).only("investigation_id", "value").first()
    if target is None:
        logger.warning(
            "Target %s no longer exists; nothing to do",
            target_id,
            extra={"task_id": task.request.id},
        )
        return {"state": "skipped"}
    return run_job(
        task,
        investigation_id=target.investigation_id,
        phase=JobPhase.SCRAPING,
        name=source,
        target_id=target_id,
        work=lambda ctx: work(ctx, target.value),
    )
