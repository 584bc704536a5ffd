from django.contrib import admin

from .models import Finding


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "severity", "score", "investigation", "updated_at")
    list_filter = ("kind", "severity")
    search_fields = ("title", "description", "key")
    raw_id_fields = ("investigation", "entities", "evidence")
    readonly_fields = ("data",)
