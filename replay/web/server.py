"""A loopback server that answers as the sites in fixtures/sites.json would.

The product reaches it through ``WEB_URL_OVERRIDE``: the site is told by the Host
header, the scheme meant by ``X-Forwarded-Proto``. A site may answer differently per
scheme (an ``http`` entry), and tests add sites of their own: huge pages, slow pages,
redirect chains. An unknown host gets a 404 page.
"""

import json
from pathlib import Path
from typing import Any

from ..http import ReplayServer, Reply, Request

SITES = Path(__file__).resolve().parent / "fixtures" / "sites.json"


class MultiHeaderReply(Reply):
    """A reply that may repeat a header (Set-Cookie), which a plain dict cannot."""

    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]], **kwargs: Any):
        super().__init__(status, body, {}, **kwargs)
        self.header_list = headers


class WebReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.sites: dict[str, dict[str, Any]] = json.loads(SITES.read_text())

    def add(self, host: str, site: dict[str, Any]) -> None:
        self.sites[host.lower()] = site

    def handle(self, request: Request) -> Reply:
        host = request.headers.get("host", "").split(":")[0].lower()
        scheme = request.headers.get("x-forwarded-proto", "http")
        site = self.sites.get(host)
        if site is None:
            # No recorded or constructed site for this host: answer as a host that runs no
            # web server, never with a page whose headers would be fingerprinted.
            reply = Reply(0)
            reply.drop = True
            return reply
        answer = site.get(scheme) or site.get("paths", {}).get(request.path) or site
        body = answer.get("body", "")
        if isinstance(body, dict):  # {"repeat": "text", "times": n}: a large page
            body = body["repeat"] * body["times"]
        headers = []
        for name, value in (answer.get("headers") or {}).items():
            for item in value if isinstance(value, list) else [value]:
                headers.append((name, item))
        return MultiHeaderReply(
            answer.get("status", 200),
            body.encode() if isinstance(body, str) else body,
            headers,
            chunk_delay=answer.get("chunk_delay", 0.0),
        )
