"""The site manifest: where each site keeps its profiles and how it says one is missing.

The format is documented in ``scraping/data/SITES.md``; ``build_manifest.py`` writes it
from the public site lists named in ``scraping/data/PROVENANCE.md``. Loading validates
every entry, so a broken manifest stops the run with the site and the fault named
instead of giving wrong answers later.
"""

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

FORMAT = "osint-platform-sites/1"
DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / "data" / "sites.json"
PLACEHOLDER = "{username}"


class DetectMethod(StrEnum):
    STATUS = "status"  # a missing profile answers a non-2xx status (or one listed)
    TEXT = "text"  # a missing profile's page holds one of the texts
    REDIRECT = "redirect"  # a missing profile redirects elsewhere
    JSON = "json"  # a field of a JSON answer holds one of the "missing" values


class ManifestError(ValueError):
    """The manifest is malformed; the message names the site and the fault."""


@dataclass(frozen=True)
class UsernameRules:
    pattern: str | None = None
    min_length: int = 1
    max_length: int = 256

    def allows(self, username: str) -> bool:
        if not self.min_length <= len(username) <= self.max_length:
            return False
        return self.pattern is None or _compiled(self.pattern).search(username) is not None


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class Detection:
    method: DetectMethod
    missing_status: tuple[int, ...] = ()
    missing_text: tuple[str, ...] = ()
    found_text: tuple[str, ...] = ()
    field: str = ""  # a dotted path into the JSON answer; "" for the whole answer
    missing_values: tuple[Any, ...] = ()
    missing_url: str = ""  # where a redirecting site sends a missing user (informative)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    home: str
    profile: str
    detect: Detection
    tags: tuple[str, ...]
    request_url: str | None = None
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    payload: Any = field(default=None, hash=False, compare=False)
    rules: UsernameRules = UsernameRules()
    unknown_text: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    walled: bool = False
    nsfw: bool = False
    claimed: str = ""
    origin: str = ""

    def profile_url(self, username: str) -> str:
        return self.profile.replace(PLACEHOLDER, quote_username(username))

    def probe_url(self, username: str) -> str:
        return (self.request_url or self.profile).replace(PLACEHOLDER, quote_username(username))

    def probe_payload(self, username: str) -> Any:
        return _fill(self.payload, username)

    @cached_property
    def username_in_host(self) -> bool:
        """True when the name is part of the site's host name (``{username}.example``)."""
        return any(PLACEHOLDER in urlsplit(u).netloc for u in (self.profile, self.request_url) if u)

    @property
    def hosts(self) -> set[str]:
        return {
            (urlsplit(u.replace(PLACEHOLDER, "x")).hostname or "").lower()
            for u in (self.profile, self.request_url)
            if u
        }


@lru_cache(maxsize=256)
def quote_username(username: str) -> str:
    """A username as it goes into an address: every byte outside the unreserved set
    escaped, so a hostile name cannot add a path, a query or another host."""
    return quote(username, safe="")


def _fill(value: Any, username: str) -> Any:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, username)
    if isinstance(value, dict):
        return {k: _fill(v, username) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, username) for v in value]
    return value


def _require(condition: bool, site_id: str, message: str) -> None:
    if not condition:
        raise ManifestError(f"site {site_id!r}: {message}")


def _detection(site_id: str, data: dict[str, Any]) -> Detection:
    _require(isinstance(data, dict), site_id, "detect must be an object")
    try:
        method = DetectMethod(data.get("method"))
    except ValueError:
        raise ManifestError(
            f"site {site_id!r}: detect.method must be one of {[m.value for m in DetectMethod]}"
        ) from None
    detection = Detection(
        method=method,
        missing_status=tuple(int(s) for s in data.get("missing_status", ())),
        missing_text=tuple(str(t) for t in data.get("missing_text", ())),
        found_text=tuple(str(t) for t in data.get("found_text", ())),
        field=str(data.get("field", "")),
        missing_values=tuple(data.get("missing", ())),
        missing_url=str(data.get("missing_url", "")),
    )
    if method == DetectMethod.TEXT:
        _require(
            bool(detection.missing_text or detection.found_text),
            site_id,
            "the text method needs missing_text or found_text",
        )
        _require(all(detection.missing_text), site_id, "an empty missing_text matches any page")
    if method == DetectMethod.JSON:
        _require(bool(detection.missing_values), site_id, "the json method needs missing values")
    return detection


def _rules(site_id: str, data: dict[str, Any] | None) -> UsernameRules:
    if not data:
        return UsernameRules()
    pattern = data.get("pattern")
    if pattern is not None:
        try:
            _compiled(pattern)
        except re.error as exc:
            raise ManifestError(f"site {site_id!r}: username.pattern is broken: {exc}") from exc
    return UsernameRules(
        pattern=pattern,
        min_length=int(data.get("min_length", 1)),
        max_length=int(data.get("max_length", 256)),
    )


def site_from_dict(site_id: str, data: dict[str, Any]) -> Site:
    for key in ("name", "home", "profile", "detect", "tags"):
        _require(key in data, site_id, f"{key} is missing")
    request = data.get("request") or {}
    request_url = request.get("url")
    _require(
        PLACEHOLDER in (request_url or data["profile"]) or PLACEHOLDER in json.dumps(request),
        site_id,
        f"neither the address asked nor the payload carries {PLACEHOLDER}",
    )
    for url in (data["profile"], request_url):
        if url:
            scheme = urlsplit(url.replace(PLACEHOLDER, "x")).scheme
            _require(scheme in ("http", "https"), site_id, f"{url!r} is not an http(s) address")
    tags = tuple(data["tags"])
    _require(bool(tags) and all(isinstance(t, str) and t for t in tags), site_id, "no tags")
    return Site(
        id=site_id,
        name=str(data["name"]),
        home=str(data["home"]),
        profile=str(data["profile"]),
        detect=_detection(site_id, data["detect"]),
        tags=tags,
        request_url=request_url,
        method=str(request.get("method", "GET")).upper(),
        headers={str(k): str(v) for k, v in (request.get("headers") or {}).items()},
        payload=request.get("json"),
        rules=_rules(site_id, data.get("username")),
        unknown_text={str(k): str(v) for k, v in (data.get("unknown_text") or {}).items()},
        walled=bool(data.get("walled", False)),
        nsfw=bool(data.get("nsfw", False)),
        claimed=str(data.get("claimed", "")),
        origin=str(data.get("origin", "")),
    )


def parse_manifest(document: dict[str, Any]) -> list[Site]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ManifestError(f"not a site manifest: the format must be {FORMAT!r}")
    sites = document.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise ManifestError("the manifest has no sites")
    return [site_from_dict(site_id, data) for site_id, data in sites.items()]


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> tuple[Site, ...]:
    with open(path, encoding="utf-8") as handle:
        return tuple(parse_manifest(json.load(handle)))


def load_sites(path: str | Path | None = None) -> list[Site]:
    """Every site of a manifest file (the shipped one by default), validated."""
    target = Path(path or DEFAULT_MANIFEST)
    return list(_load_cached(str(target), target.stat().st_mtime))


def select_sites(
    sites: list[Site],
    *,
    ids: list[str] | None = None,
    tags: list[str] | None = None,
    include_nsfw: bool = True,
) -> list[Site]:
    """The sites a run covers: those named, or those carrying one of the tags."""
    wanted_ids = {i.strip().lower() for i in ids or [] if i.strip()}
    wanted_tags = {t.strip().lower() for t in tags or [] if t.strip()}
    chosen = []
    for site in sites:
        if wanted_ids and site.id not in wanted_ids:
            continue
        if wanted_tags and not wanted_tags.intersection(site.tags):
            continue
        if site.nsfw and not include_nsfw and site.id not in wanted_ids:
            continue
        chosen.append(site)
    return chosen
