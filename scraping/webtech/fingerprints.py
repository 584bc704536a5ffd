"""The fingerprint data set, read once per process and compiled.

Wappalyzer's format: per technology, regular expressions for header values, cookies,
meta tags, script addresses, inline scripts, the HTML, the URL and the certificate
issuer, each optionally followed by tags (``\\;version:\\1``, ``\\;confidence:50``), and
the relations implies, excludes, requires and requiresCategory. What needs a browser
(js, dom, css, xhr) or other look-ups (dns, robots, probe) is not read.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / "data" / "webtech"
_KEYED = ("headers", "cookies", "meta")
_LISTED = {
    "scriptSrc": "script_src",
    "scripts": "scripts",
    "html": "html",
    "url": "url",
    "certIssuer": "cert_issuer",
}


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern | None  # None: the thing being present is enough
    version: str = ""  # template: \\1 for the first group, a?b:c for a choice
    confidence: int = 100


@dataclass
class Technology:
    name: str
    categories: list[int]
    website: str = ""
    cpe: str = ""
    headers: dict[str, list[Pattern]] = field(default_factory=dict)
    cookies: dict[str, list[Pattern]] = field(default_factory=dict)
    meta: dict[str, list[Pattern]] = field(default_factory=dict)
    script_src: list[Pattern] = field(default_factory=list)
    scripts: list[Pattern] = field(default_factory=list)
    html: list[Pattern] = field(default_factory=list)
    url: list[Pattern] = field(default_factory=list)
    cert_issuer: list[Pattern] = field(default_factory=list)
    implies: list[tuple[str, int]] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    requires_category: list[int] = field(default_factory=list)


def parse_pattern(text: str) -> Pattern:
    """``regex\\;version:\\1\\;confidence:50`` as a Pattern (JavaScript regexes, which
    Wappalyzer runs case-insensitively)."""
    source, *tags = str(text).split("\\;")
    version, confidence = "", 100
    for tag in tags:
        key, _, value = tag.partition(":")
        if key == "version":
            version = value
        elif key == "confidence" and value.strip().isdigit():
            confidence = int(value)
    regex = re.compile(source, re.IGNORECASE) if source else None
    return Pattern(regex, version, confidence)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def _technology(name: str, data: dict[str, Any]) -> Technology:
    tech = Technology(
        name=name,
        categories=[int(c) for c in data.get("cats") or []],
        website=data.get("website") or "",
        cpe=data.get("cpe") or "",
    )
    for key in _KEYED:
        table = getattr(tech, key)
        for item, patterns in (data.get(key) or {}).items():
            table[item.lower()] = [parse_pattern(p) for p in _as_list(patterns)] or [Pattern(None)]
    for key, attribute in _LISTED.items():
        setattr(tech, attribute, [parse_pattern(p) for p in _as_list(data.get(key))])
    for implied in _as_list(data.get("implies")):
        pattern = implied.split("\\;")
        confidence = next(
            (int(t.split(":")[1]) for t in pattern[1:] if t.startswith("confidence:")), 100
        )
        tech.implies.append((pattern[0], confidence))
    tech.excludes = _as_list(data.get("excludes"))
    tech.requires = _as_list(data.get("requires"))
    tech.requires_category = [int(c) for c in data.get("requiresCategory") or []]
    return tech


@dataclass
class FingerprintSet:
    technologies: dict[str, Technology]
    categories: dict[int, str]
    skipped: int = 0  # patterns Python's regex engine could not compile


def load(directory: Path = DATA) -> FingerprintSet:
    raw: dict[str, Any] = {}
    for path in sorted((directory / "technologies").glob("*.json")):
        raw.update(json.loads(path.read_text()))
    local = directory / "local.json"
    if local.exists():
        raw.update(json.loads(local.read_text()))
    categories = {
        int(k): v.get("name", k)
        for k, v in json.loads((directory / "categories.json").read_text()).items()
    }
    technologies, skipped = {}, 0
    for name, data in raw.items():
        try:
            technologies[name] = _technology(name, data)
        except re.error:
            skipped += 1
            logger.warning("Fingerprint of %s skipped: a pattern does not compile", name)
    return FingerprintSet(technologies, categories, skipped)


@cache
def default_set() -> FingerprintSet:
    return load()
