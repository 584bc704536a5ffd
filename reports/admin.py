from django.contrib import admin

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "investigation", "kind", "format", "size", "created_at")
    list_filter = ("kind", "format")
    search_fields = ("investigation__name",)
    readonly_fields = ("file", "size", "sha256", "created_at")
