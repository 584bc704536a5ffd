"""Bulk investigations: a list of targets, from a text or CSV file or a list, run in
bounded batches.

The request that brings the list only saves an empty investigation and queues
``bulk_scrape_task`` with the list; the task parses the targets, saves the good ones,
records each refused one with its reason, and starts the batched pipeline. A list of
thousands therefore never holds a web request, and a bad line never stops the others.
"""

import csv
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from .. import celery_control, pipeline
from ..models import AnalysisMode, Investigation, InvestigationStatus, Target
from ..targets import parse_targets
from .investigations import InvestigationError

logger = logging.getLogger(__name__)

BULK_SCRAPE_TASK = "investigations.tasks.bulk_scrape_task"
# Column names that hold the target in a CSV file with a header row.
_TARGET_COLUMNS = ("target", "targets")
# Bytes read from an uploaded file at most: the target bound times a generous line.
MAX_LINE_BYTES = 600


def max_file_bytes() -> int:
    """The most bytes a file of targets may hold: a full list of generous lines."""
    return settings.OSINT_BULK_MAX_TARGETS * MAX_LINE_BYTES


def _file_too_large() -> InvestigationError:
    return InvestigationError(
        f"The file is too large: at most {settings.OSINT_BULK_MAX_TARGETS} targets a list."
    )


def read_target_upload(upload: UploadedFile) -> list[str]:
    """Targets from an uploaded file (see ``read_target_file``). One over the bound is
    refused by its size before any of it is read, and no more than one byte past the
    bound is ever read, so a huge upload never grows the web process."""
    if upload.size is not None and upload.size > max_file_bytes():
        raise _file_too_large()
    return read_target_file(upload.read(max_file_bytes() + 1), upload.name or "")


def read_target_file(data: bytes | str, filename: str = "") -> list[str]:
    """Targets from a text file (one a line, ``#`` starts a comment) or a CSV file (a
    ``target`` column, or ``kind`` and ``value`` columns, or else the first column).

    Raises ``InvestigationError`` when the file is too large or empty.
    """
    limit = settings.OSINT_BULK_MAX_TARGETS
    if len(data) > max_file_bytes():
        raise _file_too_large()
    # NUL characters are kept: the target parser refuses a line holding one, with the
    # reason, where silently removing them would turn "\x00evil\x00.example" into a target.
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    if filename.lower().endswith(".csv") or _looks_like_csv(lines):
        targets = _csv_targets(lines)
    else:
        targets = [line.strip() for line in lines]
    if not targets:
        raise InvestigationError("The file holds no targets.")
    if len(targets) > limit:
        raise InvestigationError(f"The list has {len(targets)} targets; at most {limit} a list.")
    return targets


def _looks_like_csv(lines: list[str]) -> bool:
    header = lines[0].strip().lower() if lines else ""
    return "," in header and any(name in header.split(",") for name in (*_TARGET_COLUMNS, "kind"))


def _csv_row(line: str) -> list[str]:
    """One line as CSV cells. Each line is read on its own, so an unterminated quote
    spoils its own line only, never every line after it."""
    return next(csv.reader([line]), [])


def _csv_targets(lines: list[str]) -> list[str]:
    """A target from each row; a row without the columns needed is kept whole, so that
    the target parser refuses it with a reason instead of it vanishing."""
    rows = [(line, _csv_row(line)) for line in lines]
    rows = [(line, row) for line, row in rows if any(c.strip() for c in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0][1]]
    if "kind" in header and "value" in header:
        kind, value = header.index("kind"), header.index("value")
        return [
            f"{row[kind].strip()}:{row[value].strip()}" if len(row) > max(kind, value) else line
            for line, row in rows[1:]
        ]
    for name in _TARGET_COLUMNS:
        if name in header:
            column = header.index(name)
            return [
                row[column].strip() if len(row) > column and row[column].strip() else line
                for line, row in rows[1:]
            ]
    return [row[0].strip() for _, row in rows if row and row[0].strip()]


def create_bulk_investigation(
    *,
    name: str,
    targets: list[str],
    mode: str = AnalysisMode.QUICK,
    description: str = "",
    owner: AbstractBaseUser | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Investigation, str]:
    """Save the investigation, queued, and queue ``bulk_scrape_task`` with the list once
    the transaction commits; return it with the task's id."""
    if mode not in AnalysisMode.values:
        raise InvestigationError(
            f"Unknown mode {mode!r}; use one of {', '.join(AnalysisMode.values)}."
        )
    if not targets:
        raise InvestigationError("Give at least one target.")
    if len(targets) > settings.OSINT_BULK_MAX_TARGETS:
        raise InvestigationError(
            f"The list has {len(targets)} targets; at most {settings.OSINT_BULK_MAX_TARGETS} a list."
        )
    task_id = celery_control.new_task_id()
    with transaction.atomic():
        investigation = Investigation.objects.create(
            name=(name or "Bulk investigation")[:200],
            description=description,
            owner=owner if owner is not None and owner.is_authenticated else None,
            mode=mode,
            options={**(options or {}), "bulk": True},
            status=InvestigationStatus.QUEUED,
            pipeline_task_id=task_id,
        )
        texts = [str(t)[:MAX_LINE_BYTES] for t in targets]
        transaction.on_commit(
            lambda: celery_control.send(
                BULK_SCRAPE_TASK, args=(investigation.pk, texts), task_id=task_id
            )
        )
    logger.info(
        "Bulk investigation queued with %d inputs",
        len(targets),
        extra={"investigation_id": investigation.pk, "task_id": task_id},
    )
    return investigation, task_id


def bulk_scrape(investigation_id: int, targets: list[str]) -> dict[str, Any]:
    """Add the list's targets to a queued investigation and start its batched pipeline.

    A second delivery finds the investigation no longer queued and does nothing.
    """
    parsed, errors = parse_targets(targets)
    with transaction.atomic():
        investigation = Investigation.objects.select_for_update().get(pk=investigation_id)
        if investigation.status != InvestigationStatus.QUEUED:
            return {"state": "skipped"}
        Target.objects.bulk_create(
            [Target(investigation=investigation, kind=t.kind, value=t.value) for t in parsed],
            batch_size=1000,
            ignore_conflicts=True,
        )
        # parse_targets gives each refused input as an excerpt already.
        investigation.rejected_targets = [{"input": text, "error": error} for text, error in errors]
        investigation.status = InvestigationStatus.RUNNING
        investigation.started_at = timezone.now()
        investigation.save(update_fields=["rejected_targets", "status", "started_at", "updated_at"])
    jobs = pipeline.launch(investigation_id)
    logger.info(
        "Bulk investigation started: %d targets, %d refused, %d collection jobs",
        len(parsed),
        len(errors),
        jobs,
        extra={"investigation_id": investigation_id},
    )
    return {
        "state": "launched",
        "targets": len(parsed),
        "refused": len(errors),
        "collection_tasks": jobs,
    }
