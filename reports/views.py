from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from investigations.selectors import investigations_for

from .models import Report, ReportFormat

# A report holds scraped text: shown in the browser, it runs in a sandbox with no
# scripts and no outside requests, whatever it contains.
REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


@login_required
def download(request, pk: int):
    report = Report.objects.filter(
        pk=pk, investigation__in=investigations_for(request.user)
    ).first()
    if report is None or not report.file or not report.file.storage.exists(report.file.name):
        raise Http404("No such report")
    inline = request.GET.get("inline") == "1" and report.format == ReportFormat.HTML
    filename = f"investigation-{report.investigation_id}-{report.kind}.{report.format}"
    response = FileResponse(report.file.open("rb"), as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = REPORT_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response
