"""The registry of this app's collectors: which task collects which target kind."""

from datetime import UTC, datetime
from typing import Any

from investigations.registry import Collector, register_collector, register_platform_reader
from investigations.targets import (
    IpAddressValue,
    TargetError,
    TargetKind,
    register_display,
    register_normaliser,
)

from . import platforms, ratelimit
from .domains.names import DomainNameError, IpAddressError, normalise_domain, to_unicode
from .services.social import bluesky, mastodon, usernames
from .social_targets import normalise_bluesky, normalise_mastodon, normalise_username

GITHUB_COLLECTORS = {
    TargetKind.GITHUB: "scraping.tasks.scrape_github_user_task",
    TargetKind.GITHUB_ORG: "scraping.tasks.scrape_github_organization_task",
    TargetKind.GITHUB_REPO: "scraping.tasks.scrape_github_repository_task",
}

SOCIAL_FAMILY = "social"
USERNAME_TASK = "scraping.tasks.scrape_username_task"
PROFILE_TASK = "scraping.tasks.scrape_social_media_profile_task"
# kind -> (source name, task, validation)
SOCIAL_COLLECTORS = {
    TargetKind.USERNAME: (usernames.SOURCE, USERNAME_TASK, normalise_username),
    TargetKind.MASTODON: (mastodon.SOURCE, PROFILE_TASK, normalise_mastodon),
    TargetKind.BLUESKY: (bluesky.SOURCE, PROFILE_TASK, normalise_bluesky),
}


def platform_states(sources: list[str]) -> list[dict[str, Any]]:
    """Live state of the platforms the named sources ask, for pages: each family (paused,
    until when and why; requests in flight) and each of its hosts that is paused now
    (``mastodon:mastodon.social``). A store that cannot be read shows as unknown rather
    than breaking a page."""
    families = platforms.families_for_sources(sorted(set(sources)))
    try:
        rows = [(family, ratelimit.state(family)) for family in families]
        paused_members = [
            (name, until, reason)
            for name, until, reason in ratelimit.paused()
            if name not in families and platforms.family_of(name) in families
        ]
    except Exception as exc:  # noqa: BLE001 - a page must render without Redis
        error = f"state unknown: {type(exc).__name__}"
        return [{"platform": family, "error": error} for family in families]
    states = [
        _platform_row(name, current.paused_until, current.pause_reason, current.in_flight)
        for name, current in rows
    ]
    states += [_platform_row(name, until, reason, None) for name, until, reason in paused_members]
    return states


def _platform_row(name: str, until: float | None, reason: str, in_flight: int | None) -> dict:
    return {
        "platform": name,
        "paused_until": datetime.fromtimestamp(until, tz=UTC) if until else None,
        "reason": reason,
        "in_flight": in_flight,
    }


DOMAIN_TASK = "scraping.tasks.analyze_domain_task"
DOMAIN_FAMILY = "domain"


def normalise_domain_target(value: str) -> str:
    try:
        return normalise_domain(value)
    except IpAddressError as exc:
        raise IpAddressValue(str(exc), exc.address) from exc
    except DomainNameError as exc:
        raise TargetError(str(exc)) from exc


def register_all() -> None:
    for kind, task_name in GITHUB_COLLECTORS.items():
        register_collector(kind, Collector(source="github", task_name=task_name, family="github"))
    for kind, (source, task_name, normaliser) in SOCIAL_COLLECTORS.items():
        register_normaliser(kind, normaliser)
        register_collector(
            kind, Collector(source=source, task_name=task_name, family=SOCIAL_FAMILY)
        )
    register_normaliser(TargetKind.DOMAIN, normalise_domain_target)
    register_display(TargetKind.DOMAIN, to_unicode)
    register_collector(
        TargetKind.DOMAIN, Collector(source="domain", task_name=DOMAIN_TASK, family=DOMAIN_FAMILY)
    )
    register_platform_reader(platform_states)
