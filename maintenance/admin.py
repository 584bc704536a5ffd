from django.contrib import admin

from .models import ResourceSample


@admin.register(ResourceSample)
class ResourceSampleAdmin(admin.ModelAdmin):
    list_display = (
        "taken_at",
        "hostname",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "load_average",
    )
    list_filter = ("hostname",)
    readonly_fields = (
        "taken_at",
        "hostname",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "load_average",
        "details",
    )
