"""A client for Mastodon's public REST API, on any instance.

- ``user@domain`` is resolved through WebFinger at the handle's domain: an instance may
  serve its API from another host (``social.example.com`` for ``@alice@example.com``),
  and the ``self`` link of the WebFinger answer names that host. Without a usable answer
  the handle's domain is taken as the API host.
- Handles are matched without regard to case, as Mastodon matches them.
- Statuses are read a page at a time, following ``Link: rel="next"`` (``max_id``) on the
  same host, up to ``max_pages``.
- With ``url_override`` (MASTODON_URL_OVERRIDE) every request goes to that address, the
  instance's host carried in ``X-Original-Host``; without it, instance hosts are untrusted:
  a host that resolves to a private address is refused unless ALLOW_PRIVATE_ADDRESSES is
  on, and the connection goes to the address that was checked.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from investigations.errors import NotFoundError, PermanentError

from .. import platforms
from ..http import HttpClient, HttpResponse
from ..overrides import route
from .github import parse_link_header
from .social_http import raise_for_status, read_answer, read_json

PLATFORM = "Mastodon"
# Mastodon's API documents ids as strings (integers on Mastodon itself, "not guaranteed to
# be a number"); other servers of the same API use base-62 or ULID strings. Letters,
# digits, "-" and "_" cover those and can never change the path they are put into.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ACTIVITY_TYPES = (
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
)


@dataclass
class Resolution:
    username: str
    domain: str  # the handle's domain
    api_host: str  # where the instance answers its API
    profile_page: str = ""
    responses: list[HttpResponse] = field(default_factory=list)
    note: str = ""


@dataclass
class Page:
    items: list[dict[str, Any]]
    response: HttpResponse


class MastodonClient:
    def __init__(
        self,
        *,
        http: HttpClient | None = None,
        url_override: str | None = None,
        max_pages: int = 5,
        page_size: int = 40,
        on_response: Callable[[HttpResponse], None] | None = None,
    ):
        self.http = http or HttpClient(platform=platforms.MASTODON, cache_answers=True)
        self.url_override = url_override
        self.max_pages = max_pages
        self.page_size = max(1, min(page_size, 40))  # Mastodon serves at most 40
        self.on_response = on_response

    def _get(self, url: str, what: str, *, accept: str = "application/json") -> HttpResponse:
        routed, headers = route(url, self.url_override)
        response = self.http.get(
            routed,
            headers={"Accept": accept, **headers},
            # Behind an override a redirect would name the real host: never follow one.
            allow_redirects=not self.url_override,
            untrusted=not self.url_override,
            # Each instance has its own limits, named by the host meant, not the one asked.
            platform=platforms.member_for_url(platforms.MASTODON, url),
        )
        if self.url_override:
            response.url = url
        if self.on_response:
            self.on_response(response)
        return response

    def resolve(self, username: str, domain: str) -> Resolution:
        """Find the host serving the API for ``username@domain`` through WebFinger."""
        resource = f"acct:{username}@{domain}"
        url = f"https://{domain}/.well-known/webfinger?{urlencode({'resource': resource})}"
        resolution = Resolution(username, domain, domain)
        try:
            response = self._get(url, "WebFinger", accept="application/jrd+json")
        except PermanentError as exc:
            resolution.note = f"WebFinger at {domain} failed ({exc}); using {domain} for the API"
            return resolution
        resolution.responses.append(response)
        if response.status != 200:
            resolution.note = (
                f"WebFinger at {domain} answered HTTP {response.status}; using {domain} for the API"
            )
            return resolution
        try:
            data = read_json(response, "WebFinger")
        except PermanentError as exc:
            resolution.note = f"{exc}; using {domain} for the API"
            return resolution
        self._apply_webfinger(resolution, data)
        return resolution

    @staticmethod
    def _apply_webfinger(resolution: Resolution, data: Any) -> None:
        links = data.get("links") if isinstance(data, dict) else None
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                continue
            href = link["href"]
            if link.get("rel") == "self" and link.get("type") in _ACTIVITY_TYPES:
                host = (urlsplit(href).hostname or "").lower()
                if host and urlsplit(href).scheme == "https":
                    resolution.api_host = host
            elif link.get("rel") == "http://webfinger.net/rel/profile-page":
                resolution.profile_page = href
        subject = data.get("subject") if isinstance(data, dict) else None
        if isinstance(subject, str) and subject.lower().startswith("acct:"):
            user = subject[5:].partition("@")[0]
            if user.casefold() == resolution.username.casefold():
                resolution.username = user

    def lookup(self, resolution: Resolution) -> tuple[dict[str, Any], HttpResponse]:
        """The account of a resolved handle; its name must match the handle's."""
        what = f"the account {resolution.username}@{resolution.domain}"
        query = urlencode({"acct": resolution.username})
        response = self._get(f"https://{resolution.api_host}/api/v1/accounts/lookup?{query}", what)
        data = read_answer(response, what)
        raise_for_status(response, what, PLATFORM, _error(data))
        if not isinstance(data, dict) or not isinstance(data.get("id"), str | int):
            raise PermanentError(f"{PLATFORM} answered {what} with something not an account")
        if isinstance(data["id"], bool) or not _ACCOUNT_ID.fullmatch(str(data["id"])):
            raise PermanentError(
                f"{PLATFORM} answered {what} with an account id that is not one: "
                f"{str(data['id'])[:40]!r}"
            )
        if str(data.get("username", "")).casefold() != resolution.username.casefold():
            raise NotFoundError(
                f"{what}: the instance answered with another account ({data.get('acct')!r})"
            )
        return data, response

    def statuses(self, api_host: str, account_id: str) -> tuple[list[Page], bool]:
        """Recent public statuses, newest first, and whether the end was reached."""
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise PermanentError(f"{account_id[:40]!r} is not a {PLATFORM} account id")
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"
        url: str | None = f"https://{api_host}{path}?limit={self.page_size}"
        pages: list[Page] = []
        while url and len(pages) < self.max_pages:
            what = f"statuses of account {account_id}"
            response = self._get(url, what)
            data = read_answer(response, what)
            raise_for_status(response, what, PLATFORM, _error(data))
            if not isinstance(data, list):
                raise PermanentError(f"{PLATFORM} answered {what} with something not a list")
            pages.append(Page([item for item in data if isinstance(item, dict)], response))
            next_url = parse_link_header(response.header("link")).get("next")
            url = next_url if next_url and _same_host(next_url, api_host) and data else None
        return pages, url is None


def _same_host(url: str, host: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").lower() == host.lower()


def _error(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    return ""
