"""Report building: files rendered from the stored graph, never from live sources.

The JSON report is written as it is read, a chunk of rows at a time, so building the
report of a large investigation costs about the same memory as a small one. The HTML
report is for reading: it shows the first REPORT_HTML_MAX_ROWS entities and
relationships and says that the JSON report holds them all.
"""

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from investigations.models import Investigation
from investigations.selectors import (
    investigation_document,
    iter_entity_rows,
    iter_relationship_rows,
    step_rows,
)
from investigations.services.progress import final_status

from .models import Report, ReportFormat

logger = logging.getLogger(__name__)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def write_json_document(document: dict[str, Any], out: IO[str]) -> None:
    """Write a document whose lists may be iterators: each row as it comes, one a line."""
    out.write("{")
    for index, (key, value) in enumerate(document.items()):
        out.write(("," if index else "") + f"\n  {_dump(key)}: ")
        if isinstance(value, Iterator):
            rows = 0
            out.write("[")
            for row in value:
                out.write(("," if rows else "") + "\n    " + _dump(row))
                rows += 1
            out.write("\n  ]" if rows else "]")
        else:
            text = json.dumps(value, ensure_ascii=False, default=str, indent=2)
            out.write(text.replace("\n", "\n  "))
    out.write("\n}\n")


def _store(investigation: Investigation, kind: str, fmt: str, write) -> Report:
    """Write a report file in place (through a temporary name, so a reader never sees a
    half-written file) and record its size and digest."""
    report, _ = Report.objects.get_or_create(investigation=investigation, kind=kind, format=fmt)
    name = f"{investigation.pk}/{kind}.{fmt}"
    path = Path(report.file.storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    with open(partial, "w", encoding="utf-8") as out:
        write(out)
    os.replace(partial, path)
    digest = hashlib.sha256()
    with open(path, "rb") as written:
        for chunk in iter(lambda: written.read(1024 * 1024), b""):
            digest.update(chunk)
    report.file.name = name
    report.size = path.stat().st_size
    report.sha256 = digest.hexdigest()
    report.save()
    return report


def build_summary_report(investigation_id: int) -> dict:
    """Write the summary report as JSON and HTML; building again replaces the files."""
    investigation = Investigation.objects.get(pk=investigation_id)
    generated_at = timezone.now().isoformat()
    header: dict[str, Any] = {}
    if not investigation.is_finished:
        # The report is the pipeline's last step before the status is set, which follows
        # it at once: the report states the end the collected outcomes give (status, the
        # problems behind it), as of its own writing, and its own step as done.
        status, problems = final_status(investigation)
        steps = [
            {**step, "state": "succeeded"}
            if (step["phase"], step["name"]) == ("report", "summary")
            else step
            for step in step_rows(investigation.pk)
        ]
        header = {
            "status": status,
            "errors": problems,
            "progress": 100,
            "finished_at": generated_at,
            "steps": steps,
        }
    evidence_count = investigation.evidence.count()

    def json_report(out: IO[str]) -> None:
        document = {**investigation_document(investigation, lazy=True), **header}
        document.update(generated_at=generated_at, evidence_count=evidence_count)
        write_json_document(document, out)

    def html_report(out: IO[str]) -> None:
        limit = settings.REPORT_HTML_MAX_ROWS
        document = {**investigation_document(investigation, lazy=True), **header}
        document.update(
            generated_at=generated_at,
            evidence_count=evidence_count,
            targets=list(document["targets"]),
            entities=list(iter_entity_rows(investigation.pk, limit=limit)),
            relationships=list(iter_relationship_rows(investigation.pk, limit=limit)),
            entity_total=investigation.entities.count(),
            relationship_total=investigation.relationships.count(),
            row_limit=limit,
        )
        out.write(render_to_string("reports/summary.html", {"doc": document}))

    reports = [
        _store(investigation, "summary", ReportFormat.JSON, json_report),
        _store(investigation, "summary", ReportFormat.HTML, html_report),
    ]
    logger.info(
        "Summary report written: %s",
        ", ".join(r.path for r in reports),
        extra={"investigation_id": investigation_id},
    )
    return {"files": [r.path for r in reports]}
