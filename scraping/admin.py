import threading
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin, messages

from . import platforms, ratelimit
from .models import PlatformLimit


def ensure_platform_rows(seen: set[str]) -> None:
    """One row per platform or family named in settings or seen in use, holding its
    default, so admins see and can change every one; rows already there are left as the
    admin set them. Hosts of a family (``mastodon:mastodon.social``) get no row of their
    own, so that the family's row holds them all; an admin adds one to set a host apart."""
    names = {name for name in settings.RATE_LIMITS if name != "default"}
    names |= {platforms.family_of(name) for name in seen}
    existing = set(
        PlatformLimit.objects.filter(platform__in=names).values_list("platform", flat=True)
    )
    for platform in sorted(names - existing):
        limit = ratelimit.default_limit(platform)
        in_settings = platform in settings.RATE_LIMITS
        PlatformLimit.objects.get_or_create(
            platform=platform,
            defaults={
                "requests_per_second": limit.requests_per_second,
                "burst": limit.burst,
                "max_concurrent": limit.max_concurrent,
                "note": "Default from settings (RATE_LIMITS)."
                if in_settings
                else "Seen in use; RATE_LIMITS names it not, so it holds the default.",
            },
        )


_request_state = threading.local()


@admin.register(PlatformLimit)
class PlatformLimitAdmin(admin.ModelAdmin):
    """Platforms with their limits and live state. A change reaches every worker within
    RATE_LIMIT_CACHE_SECONDS, without a restart. A family's row (``mastodon``) holds each
    of its hosts that has no row of its own, and shows those asked and those paused."""

    list_display = (
        "platform",
        "requests_per_second",
        "burst",
        "max_concurrent",
        "state",
        "in_flight",
        "hosts_seen",
        "updated_at",
    )
    list_editable = ("requests_per_second", "burst", "max_concurrent")
    search_fields = ("platform",)
    actions = ["resume_now"]

    def changelist_view(self, request, extra_context=None):
        # Read once for the whole list; kept per thread, as this admin object serves
        # every request.
        _request_state.live = live = self._read_live_state()
        ensure_platform_rows(live["seen"] if live else set())
        if not ratelimit.backend().shared:
            self.message_user(
                request,
                "No Redis is configured (RATE_LIMIT_REDIS_URL / REDIS_URL): each worker process "
                "keeps its own buckets, so these limits hold per process, not in total.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @staticmethod
    def _read_live_state() -> dict | None:
        """Platforms seen and paused, read once for the whole list; None when the store
        cannot be read (the list must render without it)."""
        try:
            return {"seen": ratelimit.seen(), "paused": ratelimit.paused()}
        except Exception:  # noqa: BLE001
            return None

    def _state(self, obj):
        if not hasattr(obj, "_live_state"):
            try:
                obj._live_state = ratelimit.state(obj.platform)
            except Exception:  # noqa: BLE001 - the list must render even when Redis is down
                obj._live_state = None
        return obj._live_state

    def _members(self, obj, kind: str) -> list:
        live = getattr(_request_state, "live", None)
        if not live:
            return []
        if kind == "seen":
            names = live["seen"]
        else:
            names = [row[0] for row in live["paused"]]
        return sorted(
            name
            for name in names
            if name != obj.platform and platforms.family_of(name) == obj.platform
        )

    @admin.display(description="State")
    def state(self, obj) -> str:
        current = self._state(obj)
        if current is None:
            return "unknown (rate-limit store not reachable)"
        parts = []
        if current.paused_until:
            until = datetime.fromtimestamp(current.paused_until, tz=UTC)
            parts.append(f"paused until {until:%Y-%m-%d %H:%M:%S} UTC: {current.pause_reason}")
        paused_hosts = self._members(obj, "paused")
        if paused_hosts:
            shown = ", ".join(name.split(":", 1)[1] for name in paused_hosts[:5])
            more = f" and {len(paused_hosts) - 5} more" if len(paused_hosts) > 5 else ""
            parts.append(f"{len(paused_hosts)} host(s) paused: {shown}{more}")
        return "; ".join(parts) or "open"

    @admin.display(description="In flight")
    def in_flight(self, obj) -> str:
        current = self._state(obj)
        return "?" if current is None else str(current.in_flight)

    @admin.display(description="Hosts asked (7 days)")
    def hosts_seen(self, obj) -> str:
        hosts = self._members(obj, "seen")
        if not hosts:
            return "-"
        shown = ", ".join(name.split(":", 1)[1] for name in hosts[:3])
        return f"{len(hosts)}: {shown}" + (", ..." if len(hosts) > 3 else "")

    @admin.action(description="Resume the selected platforms now (end their pause)")
    def resume_now(self, request, queryset):
        chosen = set(queryset.values_list("platform", flat=True))
        paused_hosts = [
            name for name, _, _ in ratelimit.paused() if platforms.family_of(name) in chosen
        ]
        for name in chosen | set(paused_hosts):
            ratelimit.resume(name)
        self.message_user(
            request,
            f"{len(chosen)} platform(s) resumed"
            + (f", with {len(paused_hosts)} paused host(s) of theirs." if paused_hosts else "."),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ratelimit.forget_cached_limits()
