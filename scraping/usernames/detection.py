"""Reading one site's answer: found, not found, or unknown with the reason.

The order of the tests is the accuracy guard: a rate limit, a firewall or captcha page, a
login wall or a server fault is "unknown" before the site's own presence test is asked,
so none of them can ever read as "found".
"""

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

from .manifest import DetectMethod, Site


class CheckState(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Why a check ended as it did; stated once, shown to the analyst beside each site."""

    PROFILE_PRESENT = "profile_present"
    MISSING_STATUS = "missing_status"
    MISSING_TEXT = "missing_text"
    NO_PRESENCE_TEXT = "no_presence_text"
    MISSING_JSON = "missing_json"
    REDIRECTED = "redirected"
    REDIRECTED_TO_LOGIN = "redirected_to_login"
    INVALID_USERNAME = "invalid_username"
    LOGIN_WALL = "login_wall"
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    SERVER_ERROR = "server_error"
    REFUSED = "refused"
    UNEXPECTED_STATUS = "unexpected_status"
    UNEXPECTED_ANSWER = "unexpected_answer"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    RUN_DEADLINE = "run_deadline"
    ANSWERS_ANY_NAME = "answers_any_name"


@dataclass(frozen=True)
class Verdict:
    state: CheckState
    reason: Reason
    detail: str


def found(detail: str) -> Verdict:
    return Verdict(CheckState.FOUND, Reason.PROFILE_PRESENT, detail)


def not_found(reason: Reason, detail: str) -> Verdict:
    return Verdict(CheckState.NOT_FOUND, reason, detail)


def unknown(reason: Reason, detail: str) -> Verdict:
    return Verdict(CheckState.UNKNOWN, reason, detail)


# Pages that bot defences serve in place of the one asked for. Each is specific to one
# product, so an ordinary profile page does not match; a site's own such texts come from
# the manifest ("unknown_text").
BLOCK_FINGERPRINTS = {
    "<title>Just a moment...</title>": "Cloudflare browser challenge",
    "challenges.cloudflare.com": "Cloudflare challenge",
    'id="challenge-error-text"': "Cloudflare challenge",
    "cf-browser-verification": "Cloudflare browser check",
    "<title>Attention Required! | Cloudflare</title>": "Cloudflare firewall",
    "AwsWafIntegration": "AWS WAF challenge",
    "_Incapsula_Resource": "Imperva Incapsula firewall",
    "perimeterxIdentifiers": "PerimeterX bot defence",
    "px-captcha": "PerimeterX captcha",
    "captcha-delivery.com": "DataDome captcha",
    "DDoS-Guard": "DDoS-Guard challenge",
    "cf-turnstile": "Cloudflare Turnstile captcha",
}
# Captcha widgets also sit on ordinary pages (report and contact forms): they count only
# on a small page, as a captcha interstitial is.
SMALL_PAGE_FINGERPRINTS = {
    "g-recaptcha": "reCAPTCHA",
    'class="h-captcha"': "hCaptcha",
}
_SMALL_PAGE = 32 * 1024
# Only the first part of a page is searched for them: challenge pages are small and put
# their markers up front; a long profile page that quotes one further down stays found.
_FINGERPRINT_WINDOW = 64 * 1024

_LOGIN_PATH = re.compile(
    r"(?:^|[/_.?=&-])(?:log-?in|sign-?in|sign_in|signup|auth|authenticate|sso|session|"
    r"account/login|age-?gate|age-?check|age-?verification|agecheck|verify-?age|consent|"
    r"challenge)(?:[/_.?=&-]|$)",
    re.IGNORECASE,
)


def looks_like_login(url: str) -> bool:
    """A login, sign-up, age or consent gate, judged by its address."""
    parts = urlsplit(url)
    return bool(_LOGIN_PATH.search(f"{parts.path}?{parts.query}"))


def same_profile(profile_url: str, target_url: str, username: str) -> bool:
    """A redirect that keeps to the profile: another case, slash or scheme, or an address
    that still names the user, is followed; anything else leaves the profile."""
    a, b = urlsplit(profile_url), urlsplit(target_url)
    host_a = (a.hostname or "").removeprefix("www.")
    host_b = (b.hostname or "").removeprefix("www.")
    if host_a != host_b:
        return False
    if a.path.rstrip("/").lower() == b.path.rstrip("/").lower():
        return True
    return username.lower() in unquote(b.path).lower()


def blocked_by(site: Site, text: str) -> str | None:
    """The name of the defence or refusal whose page this is, if it is one."""
    window = text[:_FINGERPRINT_WINDOW]
    for marker, reason in site.unknown_text.items():
        if marker in text:
            return reason
    for marker, reason in BLOCK_FINGERPRINTS.items():
        if marker in window:
            return reason
    if len(text) <= _SMALL_PAGE:
        for marker, reason in SMALL_PAGE_FINGERPRINTS.items():
            if marker in text:
                return reason
    return None


def _json_field(data: Any, path: str) -> tuple[bool, Any]:
    for part in [p for p in path.split(".") if p]:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _status_verdict(site: Site, status: int) -> Verdict:
    if status in site.detect.missing_status or status in (400, 404, 410):
        return not_found(Reason.MISSING_STATUS, f"HTTP {status}: no such profile")
    if 200 <= status < 300:
        return found(f"HTTP {status}: the profile answers")
    if status in (401, 403, 407, 451):
        return unknown(Reason.REFUSED, f"HTTP {status}: the site refused to answer")
    return unknown(Reason.UNEXPECTED_STATUS, f"HTTP {status}: not a sign either way")


def _text_verdict(site: Site, status: int, text: str) -> Verdict:
    detect = site.detect
    for marker in detect.missing_text:
        if marker in text:
            return not_found(
                Reason.MISSING_TEXT, f"HTTP {status}: the page says the user is missing"
            )
    if status in detect.missing_status or status in (404, 410):
        return not_found(Reason.MISSING_STATUS, f"HTTP {status}: no such profile")
    if not 200 <= status < 300:
        return unknown(Reason.UNEXPECTED_STATUS, f"HTTP {status}: not a sign either way")
    if detect.found_text and not any(marker in text for marker in detect.found_text):
        return not_found(Reason.NO_PRESENCE_TEXT, f"HTTP {status}: no sign of a profile")
    return found(f"HTTP {status}: the page shows the profile")


def _json_verdict(site: Site, status: int, body: bytes) -> Verdict:
    if status in site.detect.missing_status or status in (404, 410):
        return not_found(Reason.MISSING_STATUS, f"HTTP {status}: no such profile")
    if not 200 <= status < 300:
        return unknown(Reason.UNEXPECTED_STATUS, f"HTTP {status}: not a sign either way")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested past Python's depth
        return unknown(Reason.UNEXPECTED_ANSWER, f"HTTP {status}: the answer is not JSON")
    present, value = _json_field(data, site.detect.field)
    where = site.detect.field or "the answer"
    if not present:
        return unknown(Reason.UNEXPECTED_ANSWER, f"HTTP {status}: {where} is absent")
    if value in site.detect.missing_values:
        return not_found(Reason.MISSING_JSON, f"HTTP {status}: {where} says the user is missing")
    return found(f"HTTP {status}: {where} names the user")


def _shown(text: str) -> str:
    """A value from an answer as it may be quoted in a detail: printable ASCII only."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def judge(site: Site, status: int, headers: dict[str, str], body: bytes) -> Verdict:
    """The verdict on a final (not redirecting) answer."""
    text = body.decode("utf-8", errors="replace")
    if status == 429:
        wait = _shown(headers.get("retry-after", "")[:20])
        detail = "HTTP 429: rate limited" + (f", retry after {wait} s" if wait else "")
        return unknown(Reason.RATE_LIMITED, detail)
    defence = blocked_by(site, text)
    if defence:
        return unknown(Reason.BLOCKED, f"HTTP {status}: {defence}")
    if status >= 500:
        return unknown(Reason.SERVER_ERROR, f"HTTP {status}: the site failed")
    method = site.detect.method
    if method == DetectMethod.TEXT:
        return _text_verdict(site, status, text)
    if method == DetectMethod.JSON:
        return _json_verdict(site, status, body)
    return _status_verdict(site, status)


def judge_redirect(
    site: Site, status: int, profile_url: str, target: str, username: str
) -> Verdict | None:
    """The verdict on a redirect, or None when it keeps to the profile and is followed."""
    if looks_like_login(target):
        if site.walled:
            return unknown(
                Reason.LOGIN_WALL, f"HTTP {status}: the site shows profiles only after a login"
            )
        return not_found(
            Reason.REDIRECTED_TO_LOGIN, f"HTTP {status}: sent to a login or age page, no profile"
        )
    # On a site whose sign of a missing user is the redirect itself, every redirect counts.
    if site.detect.method != DetectMethod.REDIRECT and same_profile(profile_url, target, username):
        return None
    return not_found(Reason.REDIRECTED, f"HTTP {status}: sent away from the profile")
