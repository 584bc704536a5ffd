from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports are built by the pipeline and served only through the authenticated
    download view: the admin shows them and links there, never to a media address
    (nothing serves report files there)."""

    list_display = ("id", "investigation", "kind", "format", "size", "created_at", "download")
    list_filter = ("kind", "format")
    search_fields = ("investigation__name",)
    fields = ("investigation", "kind", "format", "stored_as", "download", "size", "sha256")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Stored as")
    def stored_as(self, obj: Report) -> str:
        return obj.file.name

    @admin.display(description="Download")
    def download(self, obj: Report) -> str:
        url = reverse("reports:download", args=[obj.pk])
        return format_html('<a href="{}">{}.{}</a>', url, obj.kind, obj.format)
