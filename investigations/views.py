from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors
from .forms import InvestigationForm
from .models import Entity, TargetStatus
from .services import bulk as bulk_service
from .services import investigations as investigation_service

ENTITIES_PER_PAGE = 200
# Rows of the targets table a page: a list of thousands is filtered and paged.
TARGETS_PER_PAGE = 100


@login_required
def investigation_list(request):
    investigations = selectors.investigations_for(request.user).select_related("owner")
    page = Paginator(investigations, 50).get_page(request.GET.get("page"))
    return render(request, "investigations/list.html", {"page": page})


@login_required
def investigation_create(request):
    form = InvestigationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = {"fresh": True} if data["fresh"] else {}
        if data["targets_file"]:
            # A file is a bulk list: its bad lines are reported on the investigation
            # instead of refusing the whole upload.
            investigation, _ = bulk_service.create_bulk_investigation(
                name=data["name"],
                description=data["description"],
                targets=data["targets"] + data["targets_file"],
                mode=data["mode"],
                owner=request.user,
                options=options,
            )
            messages.success(request, "Bulk investigation queued.")
            return redirect("investigations:detail", pk=investigation.pk)
        investigation = investigation_service.create_investigation(
            name=data["name"],
            description=data["description"],
            targets=data["targets"],
            mode=data["mode"],
            owner=request.user,
            options=options,
        )
        investigation_service.start_investigation(investigation.pk)
        messages.success(request, "Investigation started.")
        return redirect("investigations:detail", pk=investigation.pk)
    return render(request, "investigations/create.html", {"form": form})


@login_required
def investigation_detail(request, pk: int):
    investigation = get_object_or_404(selectors.investigations_for(request.user), pk=pk)
    entities = Entity.objects.filter(investigation=investigation).order_by("kind", "key")
    kind = request.GET.get("kind")
    if kind:
        entities = entities.filter(kind=kind)
    status = request.GET.get("status")
    if status not in (*TargetStatus.values, selectors.REJECTED):
        status = None
    target_table = selectors.TargetTable(investigation, status)
    collection = selectors.collection_state(investigation)
    context = {
        "investigation": investigation,
        "target_page": Paginator(target_table, TARGETS_PER_PAGE).get_page(request.GET.get("tpage")),
        "target_statuses": _status_filters(investigation),
        "selected_status": status,
        "steps": selectors.step_rows(investigation.pk),
        "collection": collection,
        "pauses": selectors.pause_banners(investigation, collection["platforms"]),
        "entity_page": Paginator(entities, ENTITIES_PER_PAGE).get_page(request.GET.get("page")),
        "entity_kinds": selectors.entity_kind_counts(investigation.pk),
        "selected_kind": kind,
        "findings": investigation.findings.all(),
        "reports": investigation.reports.all(),
        "errors": [line for line in investigation.error_summary.splitlines() if line],
    }
    return render(request, "investigations/detail.html", context)


def _status_filters(investigation) -> list[tuple[str, int]]:
    """The statuses the targets table can be filtered by, those present, with counts."""
    counts = selectors.target_counts([investigation.pk])[investigation.pk]
    counts[selectors.REJECTED] = len(investigation.rejected_targets)
    return [(status, count) for status, count in counts.items() if count]


@login_required
@require_POST
def investigation_cancel(request, pk: int):
    investigation = get_object_or_404(selectors.investigations_for(request.user), pk=pk)
    try:
        investigation_service.cancel_investigation(investigation.pk)
        messages.success(request, "Investigation cancelled.")
    except investigation_service.InvestigationError as exc:
        messages.warning(request, str(exc))
    return redirect("investigations:detail", pk=pk)


@login_required
@require_POST
def investigation_start(request, pk: int):
    investigation = get_object_or_404(selectors.investigations_for(request.user), pk=pk)
    try:
        investigation_service.start_investigation(investigation.pk)
        messages.success(request, "Investigation started again.")
    except investigation_service.InvestigationError as exc:
        messages.warning(request, str(exc))
    return redirect("investigations:detail", pk=pk)
