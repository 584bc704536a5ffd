"""Report building: files rendered from the stored graph, never from live sources."""

import hashlib
import json
import logging

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

from investigations.models import Investigation
from investigations.selectors import investigation_document
from investigations.services.progress import final_status

from .models import Report, ReportFormat

logger = logging.getLogger(__name__)


def _save(investigation: Investigation, kind: str, fmt: str, content: bytes) -> Report:
    report, _ = Report.objects.get_or_create(investigation=investigation, kind=kind, format=fmt)
    report.file.save(f"{investigation.pk}/{kind}.{fmt}", ContentFile(content), save=False)
    report.size = len(content)
    report.sha256 = hashlib.sha256(content).hexdigest()
    report.save()
    return report


def build_summary_report(investigation_id: int) -> dict:
    """Write the summary report as JSON and HTML; building again replaces the files."""
    investigation = Investigation.objects.get(pk=investigation_id)
    document = investigation_document(investigation)
    if not investigation.is_finished:
        # The report is the pipeline's last step before the status is set: state the end
        # status the collected outcomes give, and the problems behind it.
        status, problems = final_status(investigation)
        document["status"], document["errors"] = status, problems
    document["generated_at"] = timezone.now().isoformat()
    document["evidence_count"] = investigation.evidence.count()

    json_bytes = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    html = render_to_string(
        "reports/summary.html", {"doc": document, "investigation": investigation}
    )
    reports = [
        _save(investigation, "summary", ReportFormat.JSON, json_bytes),
        _save(investigation, "summary", ReportFormat.HTML, html.encode("utf-8")),
    ]
    logger.info(
        "Summary report written: %s",
        ", ".join(r.path for r in reports),
        extra={"investigation_id": investigation_id},
    )
    return {"files": [r.path for r in reports]}
