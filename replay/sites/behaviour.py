"""How each simulated site answers: from its manifest entry, as the real site does.

A site's entry says how the real site tells a missing profile (a status, a text, a
redirect, a JSON field); the simulation answers existing profiles with a profile page and
missing ones with exactly that sign. Which names exist is the simulation's truth: each
site's own example account, plus the names a test or the benchmark adds.

Scenarios replace a site's ordinary behaviour with what real sites do to scrapers: a
firewall challenge, a login or age gate, a rate limit, a slow answer, a site that
"finds" every name, a failing server.
"""

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

from scraping.usernames.manifest import PLACEHOLDER, DetectMethod, Site


class Scenario(StrEnum):
    WAF = "waf"  # a firewall challenge page in place of every answer
    CAPTCHA = "captcha"  # a small captcha page with status 200
    LOGIN_REDIRECT = "login_redirect"  # missing profiles redirect to a login page (200)
    AGE_GATE = "age_gate"  # missing profiles redirect to an age check (200)
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After
    SLOW = "slow"  # answers after ``slow_seconds``
    FOUND_FOR_ANY = "found_for_any"  # every name looks like a profile
    SERVER_ERROR = "server_error"  # 503


WAF_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    '<div id="challenge-error-text">Enable JavaScript and cookies to continue</div>'
    '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js"></script>'
    "</body></html>"
)
CAPTCHA_PAGE = (
    "<html><head><title>Are you a robot?</title></head><body><form>"
    '<div class="g-recaptcha" data-sitekey="simulated"></div></form></body></html>'
)


@dataclass
class SimReply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _html(title: str, text: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"
    ).encode()


def _template_regex(template: str, with_host: bool) -> re.Pattern[str]:
    parts = urlsplit(template.replace(PLACEHOLDER, "\x00"))
    # Hosts are compared without their "www.", which sites serve either way.
    text = (parts.netloc.lower().removeprefix("www.") if with_host else "") + (parts.path or "/")
    if parts.query:
        text += "?" + parts.query
    pattern = re.escape(text).replace("\x00", "(?P<u>[^/?&#]*)", 1).replace("\x00", "[^/?&#]*")
    return re.compile(f"^{pattern}/?$", re.IGNORECASE)


def _payload_path(payload: Any, path: tuple = ()) -> tuple | None:
    if payload == PLACEHOLDER:
        return path
    if isinstance(payload, dict):
        for key, value in payload.items():
            found = _payload_path(value, (*path, key))
            if found is not None:
                return found
    return None


def _json_value(missing: Any, username: str) -> Any:
    """A value of a JSON field that is not the "missing" one."""
    if isinstance(missing, bool):
        return not missing
    if isinstance(missing, list):
        return [{"username": username}]
    if isinstance(missing, dict):
        return {"1": {"username": username}}
    if isinstance(missing, int | float):
        return missing + 1
    if missing is None:
        return {"username": username}
    return "taken"


def _nest(path: str, value: Any) -> Any:
    for part in reversed([p for p in path.split(".") if p]):
        value = {part: value}
    return value


class SimulatedSite:
    """One site: recognises its own addresses and answers them."""

    def __init__(self, site: Site, *, with_host: bool = True):
        self.site = site
        self.templates = [
            _template_regex(t, with_host) for t in (site.request_url, site.profile) if t
        ]
        self.payload_path = _payload_path(site.payload) if site.payload is not None else None

    def username_in(self, target: str, body: bytes) -> str | None:
        if self.payload_path is not None and body:
            try:
                data = json.loads(body)
            except ValueError:
                return None
            for key in self.payload_path:
                data = data.get(key) if isinstance(data, dict) else None
            return data if isinstance(data, str) else None
        for template in self.templates:
            match = template.match(target)
            if match and "u" in match.groupdict():
                return unquote(match.group("u"))
        return None

    def answer(self, method: str, username: str, exists: bool, origin: str) -> SimReply:
        site, detect = self.site, self.site.detect
        if exists:
            return self._found(username)
        if detect.method == DetectMethod.STATUS:
            status = detect.missing_status[0] if detect.missing_status else 404
            return SimReply(status, _html("Not Found", "There is nothing here."))
        if detect.method == DetectMethod.TEXT:
            return SimReply(200, _html(site.name, detect.missing_text[0]))
        if detect.method == DetectMethod.REDIRECT:
            target = (detect.missing_url or site.home).replace(PLACEHOLDER, username)
            return SimReply(302, b"", {"Location": self._local(target, origin)})
        body = json.dumps(_nest(detect.field, detect.missing_values[0]), separators=(",", ":"))
        return SimReply(200, body.encode(), {"Content-Type": "application/json"})

    def _found(self, username: str) -> SimReply:
        site, detect = self.site, self.site.detect
        if detect.method == DetectMethod.JSON:
            value = _json_value(detect.missing_values[0], username)
            body = json.dumps(_nest(detect.field, value), separators=(",", ":"))
            return SimReply(200, body.encode(), {"Content-Type": "application/json"})
        text = f"Profile of {username}: posts, followers and more."
        if detect.found_text:
            text += " " + detect.found_text[0]
        # A site whose "missing" sign is a piece of ordinary markup gets a page without it.
        for page in (_html(f"{username} on {site.name}", text), text.encode()):
            if not any(marker.encode() in page for marker in detect.missing_text):
                return SimReply(200, page)
        return SimReply(200, b"")

    @staticmethod
    def _local(target: str, origin: str) -> str:
        """Keep a redirect on the simulation when the sites are loopback ports."""
        parts = urlsplit(target)
        if origin and parts.hostname not in (None, "") and origin.startswith("http://127."):
            return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return target


def scenario_reply(
    scenario: Scenario, sim: SimulatedSite, method: str, username: str, exists: bool, origin: str
) -> SimReply:
    if scenario == Scenario.WAF:
        return SimReply(403, WAF_PAGE.encode(), {"Server": "cloudflare"})
    if scenario == Scenario.CAPTCHA:
        return SimReply(200, CAPTCHA_PAGE.encode())
    if scenario == Scenario.RATE_LIMITED:
        return SimReply(429, _html("Too Many Requests", "Slow down."), {"Retry-After": "30"})
    if scenario == Scenario.SERVER_ERROR:
        return SimReply(503, _html("Service Unavailable", "Try again later."))
    if scenario == Scenario.FOUND_FOR_ANY:
        return sim._found(username)
    if scenario in (Scenario.LOGIN_REDIRECT, Scenario.AGE_GATE) and not exists:
        gate = "/accounts/login/?next=" if scenario == Scenario.LOGIN_REDIRECT else "/age-gate?r="
        return SimReply(302, b"", {"Location": gate + username})
    return sim.answer(method, username, exists, origin)


GATE_PAGES = {
    "/accounts/login": _html("Log in", "Log in to see this profile. Sign up or log in."),
    "/age-gate": _html("Age check", "You must be 18 or older to continue."),
}
