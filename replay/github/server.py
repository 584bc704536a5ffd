"""A loopback server that answers like GitHub's REST API from recorded responses.

What it does as GitHub does:
- paths are matched without regard to case, as GitHub matches logins and names;
- lists are paged for ``per_page`` (default 30, at most 100) and ``page``, with a Link
  header of next/last/first/prev built the way GitHub writes it;
- every answer carries x-ratelimit-* headers from a live counter (60 an hour without a
  token, 5,000 with one); a 304 to a matching If-None-Match costs nothing;
- unknown paths answer GitHub's 404 body; contributor statistics answer 202 on the first
  request, as GitHub does while it computes them.

Tests steer it through ``scenario``: exhaust the rate limit, a secondary limit with
Retry-After, 5xx faults, statistics that stay 202, or any answer of their own.
"""

import hashlib
import json
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..http import ReplayServer, Reply, Request
from .synthetic import PROVENANCE, synthetic_answer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOT_FOUND = {
    "message": "Not Found",
    "documentation_url": "https://docs.github.com/rest",
    "status": "404",
}


def load_resources() -> tuple[dict[str, dict], dict]:
    recorded = json.loads((FIXTURES / "recorded.json").read_text())
    constructed = json.loads((FIXTURES / "constructed.json").read_text())
    resources = {}
    for entry in recorded["resources"] + constructed["resources"]:
        resources[entry["path"].lower().rstrip("/")] = entry
    return resources, recorded["rate_limit_answer"]


class GitHubReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token_limit: int = 5000):
        super().__init__(host, port)
        # Requests an hour with a token; benchmarks of thousands of targets raise it.
        self.token_limit = token_limit
        self.resources, self.rate_limit_answer = load_resources()
        self._state_lock = threading.Lock()
        self._used: dict[bool, int] = {False: 0, True: 0}
        self._window_reset = int(time.time()) + 3600
        self._queued: dict[str, deque[Reply]] = {}
        self._exhausted_until: float | None = None
        self._exhausted_times = 0
        self._stats_seen: set[str] = set()

    # -- scenarios ----------------------------------------------------------------------

    def queue(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these replies, in order."""
        with self._state_lock:
            self._queued.setdefault(path.lower().rstrip("/"), deque()).extend(replies)

    def exhaust_rate_limit(self, *, reset_in: float, times: int = 1) -> None:
        """The next ``times`` requests get the recorded 403 with no requests remaining and
        a reset ``reset_in`` seconds ahead."""
        with self._state_lock:
            self._exhausted_until = time.time() + reset_in
            self._exhausted_times = times

    def add(self, path: str, body: Any, *, status: int = 200, list_items: bool = False) -> None:
        entry = {"path": path, "provenance": "added by a test"}
        entry.update(
            {"list": True, "items": body} if list_items else {"status": status, "body": body}
        )
        self.resources[path.lower().rstrip("/")] = entry

    def requests_to(self, path: str) -> list[Request]:
        key = path.lower().rstrip("/")
        return [r for r in self.requests if r.path.lower().rstrip("/") == key]

    # -- answering ----------------------------------------------------------------------

    def _rate_headers(self, authorized: bool, count: bool) -> dict[str, str]:
        with self._state_lock:
            if time.time() >= self._window_reset:
                self._used = {False: 0, True: 0}
                self._window_reset = int(time.time()) + 3600
            if count:
                self._used[authorized] += 1
            limit = self.token_limit if authorized else 60
            used = self._used[authorized]
            return {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(0, limit - used)),
                "x-ratelimit-reset": str(self._window_reset),
                "x-ratelimit-used": str(used),
                "x-ratelimit-resource": "core",
            }

    def handle(self, request: Request) -> Reply:
        authorized = "authorization" in request.headers
        key = request.path.lower().rstrip("/") or "/"

        with self._state_lock:
            queued = self._queued.get(key)
            scripted = queued.popleft() if queued else None
            exhausted = self._exhausted_times > 0 and self._exhausted_until is not None
            if exhausted:
                self._exhausted_times -= 1
        if exhausted:
            return self._rate_limited(authorized)
        if scripted is not None:
            scripted.headers = {
                **self._rate_headers(authorized, True),
                "content-type": "application/json; charset=utf-8",
                **scripted.headers,
            }
            return scripted

        entry = self.resources.get(key)
        if entry is None:
            entry = self._synthetic(key)
        if entry is None:
            return self._json(404, NOT_FOUND, authorized)
        if entry.get("stats"):
            return self._stats(key, entry, request, authorized)
        if entry.get("list"):
            return self._page(entry, request, authorized)
        return self._json(
            entry.get("status", 200), entry["body"], authorized, request, entry.get("headers")
        )

    @staticmethod
    def _synthetic(key: str) -> dict | None:
        answer = synthetic_answer(key)
        if answer is None:
            return None
        body, is_list = answer
        headers = {"x-replay-provenance": "synthetic"}
        if is_list:
            return {"list": True, "items": body, "headers": headers, "provenance": PROVENANCE}
        return {"status": 200, "body": body, "headers": headers, "provenance": PROVENANCE}

    def _rate_limited(self, authorized: bool) -> Reply:
        headers = self._rate_headers(authorized, False)
        headers["x-ratelimit-remaining"] = "0"
        headers["x-ratelimit-reset"] = str(int(self._exhausted_until + 0.999))
        headers["content-type"] = "application/json; charset=utf-8"
        return Reply(403, self.rate_limit_answer["body"], headers)

    def _json(
        self,
        status: int,
        body: Any,
        authorized: bool,
        request: Request | None = None,
        extra: dict[str, str] | None = None,
    ) -> Reply:
        if isinstance(body, bytes):
            payload = body  # a test's raw bytes, possibly not even valid UTF-8
        else:
            payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        etag = f'W/"{hashlib.sha256(payload).hexdigest()[:40]}"'
        if status == 200 and request is not None and request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {**self._rate_headers(authorized, False), "etag": etag})
        headers = {
            **(extra or {}),
            **self._rate_headers(authorized, True),
            "content-type": "application/json; charset=utf-8",
        }
        if status == 200:
            headers["etag"] = etag
        return Reply(status, payload, headers)

    def _page(self, entry: dict, request: Request, authorized: bool) -> Reply:
        items = entry["items"]
        try:
            per_page = max(1, min(100, int(request.query.get("per_page", 30))))
            page = max(1, int(request.query.get("page", 1)))
        except ValueError:
            return self._json(422, {"message": "Invalid request"}, authorized)
        last = max(1, -(-len(items) // per_page))
        body = items[(page - 1) * per_page : page * per_page]
        links = []
        base = f"{self.url}{request.path}"

        def link(number: int, rel: str) -> str:
            query = {**request.query, "per_page": per_page, "page": number}
            return f'<{base}?{urlencode(query)}>; rel="{rel}"'

        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        reply = self._json(200, body, authorized, request, entry.get("headers"))
        if links and reply.status == 200:
            reply.headers["link"] = ", ".join(links)
        return reply

    def _stats(self, key: str, entry: dict, request: Request, authorized: bool) -> Reply:
        with self._state_lock:
            first = key not in self._stats_seen
            self._stats_seen.add(key)
        if first:
            return self._json(202, {}, authorized)
        return self._json(200, entry["items"], authorized, request)
