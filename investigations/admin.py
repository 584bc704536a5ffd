from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from . import registry
from .models import Entity, Evidence, Investigation, Job, Relationship, Target
from .services import investigations as investigation_service
from .targets import TargetError, parse_target


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind, kind) for kind in registry.supported_kinds()]


class TargetAdminForm(forms.ModelForm):
    """A target typed in the admin goes through the parser the pages, API and command
    use: a kind that has a source, a valid value, stored in its normalised form."""

    kind = forms.ChoiceField(choices=_kind_choices)

    class Meta:
        model = Target
        # The admin classes choose the fields shown; these are every editable one.
        fields = ("investigation", "kind", "value", "status", "error", "summary")

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value:
            try:
                parsed = parse_target(f"{kind}:{value}")
            except TargetError as exc:
                self.add_error("value", str(exc))
            else:
                cleaned["kind"], cleaned["value"] = parsed.kind, parsed.value
        return cleaned


class TargetInline(admin.TabularInline):
    model = Target
    form = TargetAdminForm
    extra = 0
    fields = ("kind", "value", "status", "error")
    readonly_fields = ("status", "error")


@admin.register(Investigation)
class InvestigationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "name",
        "owner",
        "status",
        "progress",
        "mode",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "mode", "created_at")
    search_fields = ("name", "description", "targets__value")
    readonly_fields = (
        "progress",
        "pipeline_task_id",
        "error_summary",
        "rejected_targets",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    )
    inlines = [TargetInline]
    actions = ["start_selected", "cancel_selected"]

    @admin.action(description="Start (or run again) the selected investigations")
    def start_selected(self, request, queryset):
        for investigation in queryset:
            try:
                investigation_service.start_investigation(investigation.pk)
            except investigation_service.InvestigationError as exc:
                self.message_user(request, f"{investigation}: {exc}", messages.WARNING)

    @admin.action(description="Cancel the selected investigations")
    def cancel_selected(self, request, queryset):
        for investigation in queryset:
            try:
                investigation_service.cancel_investigation(investigation.pk)
            except investigation_service.InvestigationError as exc:
                self.message_user(request, f"{investigation}: {exc}", messages.WARNING)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetAdminForm
    list_display = ("id", "kind", "value", "investigation", "status", "updated_at")
    list_filter = ("kind", "status")
    search_fields = ("value", "error")
    readonly_fields = ("summary",)


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "name", "key", "investigation", "confidence", "last_seen")
    list_filter = ("kind",)
    search_fields = ("key", "name")
    readonly_fields = ("attributes", "sources", "first_seen", "last_seen")
    raw_id_fields = ("investigation", "evidence")


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "kind", "target", "investigation", "confidence")
    list_filter = ("kind",)
    search_fields = ("source__key", "target__key")
    raw_id_fields = ("investigation", "source", "target", "evidence")
    readonly_fields = ("attributes",)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "source",
        "status_code",
        "outcome",
        "short_url",
        "body_size",
        "fetched_at",
    )
    list_filter = ("source", "outcome", "status_code")
    search_fields = ("url",)
    raw_id_fields = ("investigation", "target")
    exclude = ("body_compressed",)
    readonly_fields = (
        "investigation",
        "target",
        "source",
        "url",
        "method",
        "status_code",
        "outcome",
        "error",
        "content_type",
        "headers",
        "body_sha256",
        "body_size",
        "truncated",
        "fetched_at",
        "raw_body",
    )

    @admin.display(description="Address")
    def short_url(self, obj):
        return obj.url[:100]

    @admin.display(description="Raw body (first 20,000 characters, shown as text)")
    def raw_body(self, obj):
        return format_html(
            "<pre style='white-space:pre-wrap;max-height:40em;overflow:auto'>{}</pre>",
            obj.body_text(limit=20000),
        )


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "investigation",
        "target",
        "phase",
        "name",
        "state",
        "progress",
        "attempts",
        "started_at",
        "finished_at",
    )
    list_filter = ("phase", "state", "name")
    search_fields = ("celery_task_id", "error", "target__value")
    readonly_fields = (
        "result",
        "celery_task_id",
        "queued_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )
    raw_id_fields = ("investigation", "target")
