from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from investigations.selectors import investigations_for

from .models import Report, ReportFormat

# A report holds scraped text: shown in the browser, it runs in a sandbox with no
# scripts and no outside requests, whatever it contains.
REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


def _user(request):
    """The session's user, or the API token's: scripts follow ``download_url`` from the
    API with the token they used there."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def download(request, pk: int):
    user = _user(request)
    if user is None:
        if "HTTP_AUTHORIZATION" in request.META:
            return JsonResponse(
                {"detail": "Invalid token."}, status=401, headers={"WWW-Authenticate": "Token"}
            )
        return redirect_to_login(request.get_full_path())
    report = Report.objects.filter(pk=pk, investigation__in=investigations_for(user)).first()
    if report is None or not report.file or not report.file.storage.exists(report.file.name):
        raise Http404("No such report")
    inline = request.GET.get("inline") == "1" and report.format == ReportFormat.HTML
    filename = f"investigation-{report.investigation_id}-{report.kind}.{report.format}"
    response = FileResponse(report.file.open("rb"), as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = REPORT_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response
