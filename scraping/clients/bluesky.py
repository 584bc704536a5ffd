"""A client for Bluesky's public AppView API (XRPC over HTTP, no login).

- Handles are resolved to their DID with ``com.atproto.identity.resolveHandle``; the
  profile is ``app.bsky.actor.getProfile`` and posts ``app.bsky.feed.getAuthorFeed``,
  read a page at a time with its ``cursor`` up to ``max_pages``.
- The base address is BLUESKY_API_URL (the public AppView by default).
- XRPC errors come as 400 with ``{"error": ..., "message": ...}``: an unknown actor or
  handle is "not found"; 429 and 5xx are transient.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from investigations.errors import NotFoundError, PermanentError

from .. import platforms
from ..http import HttpClient, HttpResponse
from .social_http import raise_for_status, read_answer

PLATFORM = "Bluesky"
# The messages by which the AppView says an actor or handle does not exist.
_MISSING = ("profile not found", "unable to resolve handle", "actor not found", "could not find")
_MISSING_ERRORS = {"ActorNotFound", "HandleNotFound", "AccountTakedown", "AccountDeactivated"}


@dataclass
class FeedPage:
    items: list[dict[str, Any]]
    response: HttpResponse


class BlueskyClient:
    def __init__(
        self,
        *,
        base_url: str,
        http: HttpClient | None = None,
        max_pages: int = 5,
        page_size: int = 100,
        on_response: Callable[[HttpResponse], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient(platform=platforms.BLUESKY, cache_answers=True)
        self.max_pages = max_pages
        self.page_size = max(1, min(page_size, 100))  # the lexicon's maximum
        self.on_response = on_response

    def _call(self, method: str, params: dict[str, Any], what: str) -> tuple[Any, HttpResponse]:
        url = f"{self.base_url}/xrpc/{method}?{urlencode(params)}"
        response = self.http.get(url, headers={"Accept": "application/json"})
        if self.on_response:
            self.on_response(response)
        data = read_answer(response, what)
        if response.status == 400 and isinstance(data, dict):
            message = str(data.get("message") or "")
            if data.get("error") in _MISSING_ERRORS or message.lower().startswith(_MISSING):
                raise NotFoundError(f"{what} not found on {PLATFORM}: {message[:200]}")
        error = ""
        if isinstance(data, dict) and data.get("error"):
            error = f"{data.get('error')}: {data.get('message') or ''}"
        raise_for_status(response, what, PLATFORM, error)
        if not isinstance(data, dict):
            raise PermanentError(f"{PLATFORM} answered {what} with something not an object")
        return data, response

    def resolve_handle(self, handle: str) -> tuple[str, HttpResponse]:
        what = f"the handle {handle}"
        data, response = self._call("com.atproto.identity.resolveHandle", {"handle": handle}, what)
        did = data.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise PermanentError(f"{PLATFORM} answered {what} without a DID")
        return did, response

    def profile(self, actor: str) -> tuple[dict[str, Any], HttpResponse]:
        what = f"the profile {actor}"
        data, response = self._call("app.bsky.actor.getProfile", {"actor": actor}, what)
        if not isinstance(data.get("did"), str) or not isinstance(data.get("handle"), str):
            raise PermanentError(f"{PLATFORM} answered {what} without a DID and handle")
        return data, response

    def author_feed(self, actor: str) -> tuple[list[FeedPage], bool]:
        """The actor's posts and reposts, newest first, and whether the end was reached."""
        pages: list[FeedPage] = []
        cursor: str | None = None
        while len(pages) < self.max_pages:
            params = {"actor": actor, "limit": self.page_size}
            if cursor:
                params["cursor"] = cursor
            data, response = self._call(
                "app.bsky.feed.getAuthorFeed", params, f"the feed of {actor}"
            )
            feed = data.get("feed")
            if not isinstance(feed, list):
                raise PermanentError(f"{PLATFORM} answered the feed of {actor} without a feed list")
            pages.append(FeedPage([item for item in feed if isinstance(item, dict)], response))
            next_cursor = data.get("cursor")
            if (
                not feed
                or not isinstance(next_cursor, str)
                or not next_cursor
                or next_cursor == cursor
            ):
                return pages, True
            cursor = next_cursor
        return pages, False
