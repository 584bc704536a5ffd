"""Which collectors exist for which target kinds.

Source apps register their collectors when Django starts (in ``AppConfig.ready``), so this
app never imports them: the pipeline looks up a target's collectors here and queues
their tasks by registered name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Collector:
    """One unit of collection for a target: the task that runs it and its source name."""

    source: str
    task_name: str
    family: str  # a group of sources that run as one phase, e.g. "github", "social", "domain"


_collectors: dict[str, list[Collector]] = {}


def register_collector(kind: str, collector: Collector) -> None:
    collectors = _collectors.setdefault(kind, [])
    if collector not in collectors:
        collectors.append(collector)


def collectors_for(kind: str, family: str | None = None) -> list[Collector]:
    return [c for c in _collectors.get(kind, []) if family is None or c.family == family]


def supported_kinds() -> list[str]:
    return sorted(kind for kind, collectors in _collectors.items() if collectors)


# Reports the live state of platforms (paused, and until when) for pages, without this
# app importing the scraping app: scraping registers the reader at start-up.
_platform_reader: Callable[[list[str]], list[dict[str, Any]]] | None = None


def register_platform_reader(reader: Callable[[list[str]], list[dict[str, Any]]]) -> None:
    global _platform_reader
    _platform_reader = reader


def platform_states(sources: list[str]) -> list[dict[str, Any]]:
    """The state of each platform the named sources ask:
    ``{"platform", "paused_until", "reason", "in_flight"}``."""
    if _platform_reader is None or not sources:
        return []
    return _platform_reader(sources)
