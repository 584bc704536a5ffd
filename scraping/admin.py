import threading
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q

from . import platforms, ratelimit
from .models import PlatformLimit

# The note of a row that follows settings, by whether RATE_LIMITS names it (or its family).
_SETTINGS_NOTES = {
    True: "Default from settings (RATE_LIMITS).",
    False: "Seen in use; RATE_LIMITS names it not, so it holds the default.",
}


def ensure_platform_rows(seen: set[str]) -> None:
    """One row per platform or family named in settings or seen in use, so admins see and
    can change every one. A row no admin has changed follows settings: its numbers are
    copied from them again each time the page lists it, and workers read settings, not
    the row. Hosts of a family (``mastodon:mastodon.social``) get no row of their own, so
    that the family's row holds them all; an admin adds one to set a host apart."""
    names = {name for name in settings.RATE_LIMITS if name != "default"}
    names |= {platforms.family_of(name) for name in seen}
    # A seen name too long for a row would fail the whole page; no target produces one.
    names = {name for name in names if len(name) <= platforms.MAX_LENGTH}

    rows = PlatformLimit.objects.filter(Q(platform__in=names) | Q(overridden=False))
    existing = {row.platform: row for row in rows}
    following = [row for row in existing.values() if not row.overridden]
    changed = [row for row in following if _copy_settings(row)]
    PlatformLimit.objects.bulk_update(
        changed, ["requests_per_second", "burst", "max_concurrent", "note"]
    )

    added = []
    for platform in sorted(names - existing.keys()):
        row = PlatformLimit(platform=platform, overridden=False)
        _copy_settings(row)
        added.append(row)
    PlatformLimit.objects.bulk_create(added, ignore_conflicts=True)


def _copy_settings(row: PlatformLimit) -> bool:
    """Give a row that follows settings their numbers and note; True if any changed."""
    limit = ratelimit.default_limit(row.platform)
    named = bool({row.platform, platforms.family_of(row.platform)} & settings.RATE_LIMITS.keys())
    values = (limit.requests_per_second, limit.burst, limit.max_concurrent, _SETTINGS_NOTES[named])
    if values == (row.requests_per_second, row.burst, row.max_concurrent, row.note):
        return False
    row.requests_per_second, row.burst, row.max_concurrent, row.note = values
    return True


_request_state = threading.local()


@admin.register(PlatformLimit)
class PlatformLimitAdmin(admin.ModelAdmin):
    """Platforms with their limits and live state. A change reaches every worker within
    RATE_LIMIT_CACHE_SECONDS, without a restart, and holds until an admin makes the row
    follow settings again. A family's row (``mastodon``) holds each of its hosts that
    has no row of its own, and shows those asked and those paused."""

    list_display = (
        "platform",
        "requests_per_second",
        "burst",
        "max_concurrent",
        "limits_from",
        "state",
        "in_flight",
        "hosts_seen",
        "updated_at",
    )
    list_editable = ("requests_per_second", "burst", "max_concurrent")
    search_fields = ("platform",)
    exclude = ("overridden",)
    actions = ["resume_now", "follow_settings"]

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

    @admin.display(description="Limits", ordering="overridden")
    def limits_from(self, obj) -> str:
        return "set here" if obj.overridden else "from settings"

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
        # Hosts of the families chosen; a platform chosen is not a host of its own.
        paused_hosts = [
            name
            for name, _, _ in ratelimit.paused()
            if name not in chosen and platforms.family_of(name) in chosen
        ]
        for name in chosen | set(paused_hosts):
            ratelimit.resume(name)
        self.message_user(
            request,
            f"{len(chosen)} platform(s) resumed"
            + (f", with {len(paused_hosts)} paused host(s) of theirs." if paused_hosts else "."),
        )

    @admin.action(description="Follow the defaults from settings again")
    def follow_settings(self, request, queryset):
        rows = list(queryset)
        for row in rows:
            row.overridden = False
            _copy_settings(row)
        PlatformLimit.objects.bulk_update(
            rows, ["overridden", "requests_per_second", "burst", "max_concurrent", "note"]
        )
        ratelimit.forget_cached_limits()
        self.message_user(
            request,
            f"{len(rows)} platform(s) follow the defaults from settings (RATE_LIMITS) again.",
        )

    def save_model(self, request, obj, form, change):
        # A save from the change form or from the list sets the numbers here, whatever
        # settings say from now on; the note written for a row that followed them is no
        # longer true.
        obj.overridden = True
        if obj.note in _SETTINGS_NOTES.values():
            obj.note = ""
        super().save_model(request, obj, form, change)
        ratelimit.forget_cached_limits()
