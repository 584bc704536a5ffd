"""A loopback server that answers like Bluesky's public AppView (XRPC) from recorded
profiles, handle resolutions and author feeds (fixtures/recorded.json).

What it does as the AppView does:
- ``com.atproto.identity.resolveHandle`` and ``app.bsky.actor.getProfile`` take handles
  without regard to case (handles are lower case by the atproto spec) and DIDs;
- ``app.bsky.feed.getAuthorFeed`` pages the recorded feed by ``limit`` (default 50, at
  most 100) and ``cursor``; the cursor is the sort time of a page's last item, as the
  AppView's is, and the last page has none;
- errors are the XRPC shape ``{"error": ..., "message": ...}`` with status 400, built
  from the lexicons since no error answer for these methods was recorded.
A profile recorded only through a feed's author view is served as that view.
"""

import copy
import json
import threading
from collections import deque
from pathlib import Path

from ..http import ReplayServer, Reply, Request

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_JSON = {"content-type": "application/json; charset=utf-8"}


def _xrpc_error(message: str, error: str = "InvalidRequest") -> Reply:
    return Reply(400, {"error": error, "message": message}, _JSON)


def _sort_time(item: dict) -> str:
    post = item.get("post") or {}
    return str((post.get("record") or {}).get("createdAt") or post.get("indexedAt") or "")


class BlueskyReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        data = json.loads((FIXTURES / "recorded.json").read_text(encoding="utf-8"))
        self.handles: dict[str, str] = dict(data["handles"])
        self.profiles: dict[str, dict] = {}
        self.feeds: dict[str, list[dict]] = {}
        for actor, feed in data["feeds"].items():
            did = self.handles.get(actor)
            for item in feed["feed"]:
                author = (item.get("post") or {}).get("author") or {}
                if author.get("handle", "").lower() == actor:
                    did = author["did"]
                    self.handles.setdefault(actor, did)
                    self.profiles.setdefault(did, author)
            if did:
                self.feeds[did] = feed["feed"]
        for entry in data["profiles"]:
            self.profiles[entry["profile"]["did"]] = entry["profile"]
        self._queued: dict[str, deque[Reply]] = {}
        self._state_lock = threading.Lock()

    # -- scenarios --------------------------------------------------------------------------

    def add_profile(self, profile: dict, feed: list[dict] = ()) -> None:
        self.profiles[profile["did"]] = copy.deepcopy(profile)
        self.handles[profile["handle"].lower()] = profile["did"]
        self.feeds[profile["did"]] = list(feed)

    def queue(self, method: str, *replies: Reply) -> None:
        with self._state_lock:
            self._queued.setdefault(method, deque()).extend(replies)

    def requests_to(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.path == f"/xrpc/{method}"]

    # -- answering --------------------------------------------------------------------------

    def _did(self, actor: str) -> str | None:
        actor = actor.strip()
        if actor.startswith("did:"):
            return actor if actor in self.profiles or actor in self.feeds else None
        return self.handles.get(actor.lower().removeprefix("@"))

    def handle(self, request: Request) -> Reply:
        method = request.path.removeprefix("/xrpc/")
        with self._state_lock:
            queued = self._queued.get(method)
            if queued:
                return queued.popleft()
        if method == "com.atproto.identity.resolveHandle":
            did = self._did(request.query.get("handle", ""))
            if did is None or request.query.get("handle", "").startswith("did:"):
                return _xrpc_error("Unable to resolve handle")
            return Reply(200, {"did": did}, _JSON)
        if method == "app.bsky.actor.getProfile":
            did = self._did(request.query.get("actor", ""))
            if did is None or did not in self.profiles:
                return _xrpc_error("Profile not found")
            return Reply(200, self.profiles[did], _JSON)
        if method == "app.bsky.feed.getAuthorFeed":
            return self._feed(request)
        return Reply(
            501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, _JSON
        )

    def _feed(self, request: Request) -> Reply:
        did = self._did(request.query.get("actor", ""))
        if did is None:
            return _xrpc_error("Profile not found")
        try:
            limit = int(request.query.get("limit", 50))
        except ValueError:
            return _xrpc_error("Error: limit must be an integer")
        if not 1 <= limit <= 100:
            return _xrpc_error("Error: limit must be between 1 and 100")
        items = self.feeds.get(did, [])
        cursor = request.query.get("cursor")
        start = 0
        if cursor:
            start = next(
                (i + 1 for i, item in enumerate(items) if _sort_time(item) == cursor), len(items)
            )
        page = items[start : start + limit]
        body: dict = {"feed": page}
        if page and start + limit < len(items):
            body["cursor"] = _sort_time(page[-1])
        return Reply(200, body, _JSON)
