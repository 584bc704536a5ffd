"""Matching a page against the fingerprints.

Patterns match at token boundaries: a match that starts or ends inside a word of the
value does not count (``Server: HTTP server (unknown)`` is not Apache's ``HTTPD``, and a
pattern ``IceWarp`` does not fire inside ``NotIceWarpX``). Versions come from the
pattern's ``version`` template; confidences add up to 100 at most. Implied technologies
are added, excluded ones removed, and those whose requirements are absent dropped.
"""

import re
from dataclasses import dataclass, field

from .fingerprints import FingerprintSet, Pattern, Technology, default_set
from .page import PageFacts

_GROUP = re.compile(r"\\(\d+)")
_CHOICE = re.compile(r"^(.*?)\?(.*?):(.*)$")


@dataclass
class Detection:
    name: str
    confidence: int = 0
    versions: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # e.g. "header server", "meta generator"
    implied_by: str = ""


def _at_boundary(value: str, start: int, end: int) -> bool:
    before_ok = start == 0 or not value[start - 1].isalnum() or not value[start].isalnum()
    after_ok = end >= len(value) or not value[end].isalnum() or not value[end - 1].isalnum()
    return before_ok and after_ok


def search(pattern: Pattern, value: str) -> re.Match | None | bool:
    """The first match at token boundaries; True for a presence-only pattern."""
    if pattern.regex is None:
        return True
    position = 0
    while position <= len(value):
        match = pattern.regex.search(value, position)
        if match is None:
            return None
        if match.start() == match.end() or _at_boundary(value, match.start(), match.end()):
            return match
        position = match.start() + 1
    return None


def version_of(pattern: Pattern, match: re.Match | bool) -> str:
    if not pattern.version or not isinstance(match, re.Match):
        return ""

    def group(found: re.Match) -> str:
        index = int(found.group(1))
        return (match.group(index) or "") if index <= (match.re.groups or 0) else ""

    text = _GROUP.sub(group, pattern.version)
    choice = _CHOICE.match(text)
    if choice:
        text = choice.group(2) if choice.group(1) else choice.group(3)
    return text.strip()[:50]


class _Hits:
    def __init__(self) -> None:
        self.found: dict[str, Detection] = {}

    def add(self, tech: Technology, pattern: Pattern, match, where: str) -> None:
        detection = self.found.setdefault(tech.name, Detection(tech.name))
        detection.confidence = min(100, detection.confidence + pattern.confidence)
        version = version_of(pattern, match)
        if version and version not in detection.versions:
            detection.versions.append(version)
        if where not in detection.matched:
            detection.matched.append(where)


def _match_listed(hits: _Hits, tech: Technology, patterns: list[Pattern], values, where: str):
    for pattern in patterns:
        for value in values:
            found = search(pattern, value)
            if found:
                hits.add(tech, pattern, found, where)
                break


def _match_keyed(hits, tech, table: dict[str, list[Pattern]], values: dict, where: str):
    for name, patterns in table.items():
        present = values.get(name)
        if present is None:
            continue
        for pattern in patterns:
            for value in present if isinstance(present, list) else [present]:
                found = search(pattern, value)
                if found:
                    hits.add(tech, pattern, found, f"{where} {name}")
                    break


def detect(page: PageFacts, fingerprints: FingerprintSet | None = None) -> list[Detection]:
    fingerprints = fingerprints or default_set()
    hits = _Hits()
    for tech in fingerprints.technologies.values():
        _match_keyed(hits, tech, tech.headers, page.headers, "header")
        _match_keyed(hits, tech, tech.cookies, page.cookies, "cookie")
        _match_keyed(hits, tech, tech.meta, page.meta, "meta")
        _match_listed(hits, tech, tech.script_src, page.script_src, "script src")
        _match_listed(hits, tech, tech.scripts, page.scripts, "inline script")
        _match_listed(hits, tech, tech.html, [page.html], "html")
        _match_listed(hits, tech, tech.url, [page.url], "url")
        if page.cert_issuer:
            _match_listed(hits, tech, tech.cert_issuer, [page.cert_issuer], "certificate issuer")
    found = hits.found
    _add_implied(found, fingerprints)
    _apply_relations(found, fingerprints)
    return sorted(found.values(), key=lambda d: d.name.lower())


def _add_implied(found: dict[str, Detection], fingerprints: FingerprintSet) -> None:
    queue = list(found)
    while queue:
        tech = fingerprints.technologies.get(queue.pop())
        if tech is None:
            continue
        for name, confidence in tech.implies:
            if name in fingerprints.technologies and name not in found:
                found[name] = Detection(name, confidence, implied_by=tech.name)
                queue.append(name)


def _apply_relations(found: dict[str, Detection], fingerprints: FingerprintSet) -> None:
    techs = fingerprints.technologies
    for name in list(found):
        for excluded in techs[name].excludes if name in techs else []:
            found.pop(excluded, None)
    changed = True
    while changed:
        changed = False
        categories = {c for n in found if n in techs for c in techs[n].categories}
        for name in list(found):
            tech = techs.get(name)
            if tech is None:
                continue
            missing = any(r not in found for r in tech.requires) or (
                tech.requires_category and not set(tech.requires_category) & categories
            )
            if missing:
                found.pop(name)
                changed = True
