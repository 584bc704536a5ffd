"""A loopback server that answers like Mastodon instances, from recorded accounts and
statuses (fixtures/recorded.json) and a constructed instance (fixtures/constructed.json).

One server stands for every instance: the product sends all Mastodon requests to it
(MASTODON_URL_OVERRIDE) with the instance's host in ``X-Original-Host``. What it does as
Mastodon does:
- ``/.well-known/webfinger?resource=acct:user@domain`` answers a JRD whose ``self`` link
  names the host serving the account's API, which may differ from the handle's domain;
  the two recorded WebFinger replies are served as recorded;
- ``/api/v1/accounts/lookup?acct=`` and ``/api/v1/accounts/:id`` match names without
  regard to case; a miss answers the recorded 404 body;
- ``/api/v1/accounts/:id/statuses`` pages newest first by ``limit`` (default 20, at most
  40), ``max_id`` and ``min_id``, with ``Link`` next/prev headers written as Mastodon
  writes them, on the instance's own https address.
Tests add accounts and queue answers of their own.
"""

import copy
import json
import threading
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from scraping.overrides import ORIGINAL_HOST_HEADER

from ..http import ReplayServer, Reply, Request

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_JSON = {"content-type": "application/json; charset=utf-8"}


class MastodonReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        recorded = json.loads((FIXTURES / "recorded.json").read_text(encoding="utf-8"))
        constructed = json.loads((FIXTURES / "constructed.json").read_text(encoding="utf-8"))
        self.accounts: dict[str, dict[str, dict]] = {}  # api host -> username -> entry
        for data in (recorded, constructed):
            for instance, entry in data["instances"].items():
                for item in entry["accounts"]:
                    self.add_account(instance, item["account"], item["statuses"])
        self.webfinger_hosts: dict[str, str] = dict(constructed.get("webfinger_hosts", {}))
        self.recorded_webfinger = {w["resource"].lower(): w for w in recorded["webfinger"]}
        self.not_found = recorded["lookup_not_found"]
        self._queued: dict[str, deque[Reply]] = {}
        self._state_lock = threading.Lock()

    # -- scenarios --------------------------------------------------------------------------

    def add_account(self, instance: str, account: dict, statuses: list[dict] = ()) -> None:
        hosted = self.accounts.setdefault(instance.lower(), {})
        hosted[str(account["username"]).lower()] = {
            "account": copy.deepcopy(account),
            "statuses": sorted(statuses, key=lambda s: int(s["id"]), reverse=True),
        }

    def queue(self, instance: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` on ``instance`` with these replies."""
        with self._state_lock:
            self._queued.setdefault(f"{instance.lower()}{path}", deque()).extend(replies)

    def requests_to(self, instance: str, path: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.headers.get(ORIGINAL_HOST_HEADER.lower()) == instance
            and (path is None or r.path == path)
        ]

    # -- answering --------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        host = request.headers.get(ORIGINAL_HOST_HEADER.lower(), "").lower()
        with self._state_lock:
            queued = self._queued.get(f"{host}{request.path}")
            if queued:
                return queued.popleft()
        if request.path == "/.well-known/webfinger":
            return self._webfinger(host, request.query.get("resource", ""))
        parts = [p for p in request.path.split("/") if p]
        if parts[:3] == ["api", "v1", "accounts"]:
            if parts[3:] == ["lookup"]:
                return self._lookup(host, request.query.get("acct", ""))
            entry = self._by_id(host, parts[3]) if len(parts) >= 4 else None
            if entry is not None and len(parts) == 4:
                return Reply(200, entry["account"], _JSON)
            if entry is not None and parts[4:] == ["statuses"]:
                return self._statuses(host, entry, request)
        return Reply(self.not_found["status"], self.not_found["body"], _JSON)

    def _webfinger(self, host: str, resource: str) -> Reply:
        recorded = self.recorded_webfinger.get(resource.lower())
        if recorded is not None:
            return Reply(
                recorded["status"], recorded["body"], {"content-type": recorded["content_type"]}
            )
        user, _, domain = resource.lower().removeprefix("acct:").partition("@")
        api_host = self.webfinger_hosts.get(domain, domain)
        entry = self.accounts.get(api_host, {}).get(user)
        if not resource.lower().startswith("acct:") or domain != host or entry is None:
            return Reply(404, b"", {})
        username = entry["account"]["username"]
        body = {
            "subject": f"acct:{username}@{domain}",
            "aliases": [f"https://{api_host}/@{username}", f"https://{api_host}/users/{username}"],
            "links": [
                {
                    "rel": "http://webfinger.net/rel/profile-page",
                    "type": "text/html",
                    "href": f"https://{api_host}/@{username}",
                },
                {
                    "rel": "self",
                    "type": "application/activity+json",
                    "href": f"https://{api_host}/users/{username}",
                },
            ],
        }
        return Reply(200, body, {"content-type": "application/jrd+json; charset=utf-8"})

    def _lookup(self, host: str, acct: str) -> Reply:
        user, _, domain = acct.lower().partition("@")
        local = not domain or domain == host or self.webfinger_hosts.get(domain) == host
        entry = self.accounts.get(host, {}).get(user) if local else None
        if entry is None:
            return Reply(self.not_found["status"], self.not_found["body"], _JSON)
        return Reply(200, entry["account"], _JSON)

    def _by_id(self, host: str, account_id: str) -> dict | None:
        for entry in self.accounts.get(host, {}).values():
            if str(entry["account"]["id"]) == account_id:
                return entry
        return None

    def _statuses(self, host: str, entry: dict, request: Request) -> Reply:
        try:
            limit = max(1, min(40, int(request.query.get("limit", 20))))
            max_id = int(request.query["max_id"]) if "max_id" in request.query else None
            min_id = int(request.query["min_id"]) if "min_id" in request.query else None
        except ValueError:
            return Reply(400, {"error": "Invalid request"}, _JSON)
        statuses: list[dict[str, Any]] = entry["statuses"]
        chosen = [s for s in statuses if max_id is None or int(s["id"]) < max_id]
        if min_id is not None:
            newer = [s for s in chosen if int(s["id"]) > min_id]
            chosen = newer[-limit:]  # the page just above min_id
        chosen = chosen[:limit]
        headers = dict(_JSON)
        if chosen:
            base = f"https://{host}{request.path}"
            newest, oldest = chosen[0]["id"], chosen[-1]["id"]
            headers["link"] = (
                f'<{base}?{urlencode({"limit": limit, "max_id": oldest})}>; rel="next", '
                f'<{base}?{urlencode({"limit": limit, "min_id": newest})}>; rel="prev"'
            )
        return Reply(200, chosen, headers)
