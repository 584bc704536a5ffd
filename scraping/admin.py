from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin, messages

from . import ratelimit
from .models import PlatformLimit


def ensure_platform_rows() -> None:
    """One row per platform named in settings, holding its default, so admins see and
    can change every platform; rows already there are left as the admin set them."""
    for platform in settings.RATE_LIMITS:
        if platform == "default":
            continue
        limit = ratelimit.default_limit(platform)
        PlatformLimit.objects.get_or_create(
            platform=platform,
            defaults={
                "requests_per_second": limit.requests_per_second,
                "burst": limit.burst,
                "max_concurrent": limit.max_concurrent,
                "note": "Default from settings (RATE_LIMITS).",
            },
        )


@admin.register(PlatformLimit)
class PlatformLimitAdmin(admin.ModelAdmin):
    """Platforms with their limits and live state. A change reaches every worker within
    RATE_LIMIT_CACHE_SECONDS, without a restart."""

    list_display = (
        "platform",
        "requests_per_second",
        "burst",
        "max_concurrent",
        "state",
        "in_flight",
        "updated_at",
    )
    list_editable = ("requests_per_second", "burst", "max_concurrent")
    search_fields = ("platform",)
    actions = ["resume_now"]

    def changelist_view(self, request, extra_context=None):
        ensure_platform_rows()
        if not ratelimit.backend().shared:
            self.message_user(
                request,
                "No Redis is configured (RATE_LIMIT_REDIS_URL / REDIS_URL): each worker process "
                "keeps its own buckets, so these limits hold per process, not in total.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def _state(self, obj):
        if not hasattr(obj, "_live_state"):
            try:
                obj._live_state = ratelimit.state(obj.platform)
            except Exception:  # noqa: BLE001 - the list must render even when Redis is down
                obj._live_state = None
        return obj._live_state

    @admin.display(description="State")
    def state(self, obj) -> str:
        current = self._state(obj)
        if current is None:
            return "unknown (rate-limit store not reachable)"
        if current.paused_until:
            until = datetime.fromtimestamp(current.paused_until, tz=UTC)
            return f"paused until {until:%Y-%m-%d %H:%M:%S} UTC: {current.pause_reason}"
        return "open"

    @admin.display(description="In flight")
    def in_flight(self, obj) -> str:
        current = self._state(obj)
        return "?" if current is None else str(current.in_flight)

    @admin.action(description="Resume the selected platforms now (end their pause)")
    def resume_now(self, request, queryset):
        for row in queryset:
            ratelimit.resume(row.platform)
        self.message_user(request, f"{queryset.count()} platform(s) resumed.")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ratelimit.forget_cached_limits()
