"""A loopback server that answers like the registries' RDAP servers, from recorded
exchanges.

The product reaches it through ``RDAP_URL``: each request arrives as
``/{original host}/{original path}``, so the registry's and the registrar's servers of a
recorded referral chain (rdap.verisign.com, then rdap.markmonitor.com for google.com)
are told apart. Paths are matched without regard to case, as registries match names.
A name with no record gets a 404 RDAP error object (RIPE's recorded one). Tests queue
their own replies (429 with Retry-After, 5xx, slow or oversized answers) with ``queue``.
"""

import json
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

from ..http import ReplayServer, Reply, Request

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RDAP_JSON = {"content-type": "application/rdap+json"}


def _key(host: str, path: str) -> str:
    return f"{host.lower()}{path.lower().rstrip('/')}"


def load_answers() -> dict[str, bytes]:
    """Recorded bodies by host and path."""
    answers: dict[str, bytes] = {}
    for exchange in json.loads((FIXTURES / "whoisit_recorded" / "domain-1.json").read_text()):
        uri = urlsplit(exchange["request"]["uri"])
        if "/domain/" in uri.path and exchange["response"]["status"] == 200:
            answers[_key(uri.netloc, uri.path)] = exchange["response"]["body"].encode()
    for path in sorted((FIXTURES / "domain").glob("*.json")):
        body = path.read_bytes()
        data = json.loads(body)
        for link in data.get("links") or []:
            if link.get("rel") == "self" and link.get("href"):
                uri = urlsplit(link["href"])
                answers.setdefault(_key(uri.netloc, uri.path), body)
    return answers


class RdapReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.answers = load_answers()
        self.not_found = (FIXTURES / "errors" / "ripe_404_entity_JNIC1-AP.json").read_bytes()
        self._queued: dict[str, deque[Reply]] = {}
        self._queue_lock = threading.Lock()

    def queue(self, host: str, path: str, *replies: Reply) -> None:
        """Answer the next requests for ``host`` + ``path`` with these replies, in order."""
        with self._queue_lock:
            self._queued.setdefault(_key(host, path), deque()).extend(replies)

    def add(self, host: str, path: str, body: dict) -> None:
        self.answers[_key(host, path)] = json.dumps(body).encode()

    def requests_for(self, host: str) -> list[Request]:
        prefix = f"/{host.lower()}/"
        return [r for r in self.requests if r.path.lower().startswith(prefix)]

    def handle(self, request: Request) -> Reply:
        host, _, rest = request.path.lstrip("/").partition("/")
        key = _key(host, "/" + rest)
        with self._queue_lock:
            queued = self._queued.get(key)
            scripted = queued.popleft() if queued else None
        if scripted is not None:
            return scripted
        body = self.answers.get(key)
        if body is None:
            return Reply(404, self.not_found, RDAP_JSON)
        return Reply(200, body, RDAP_JSON)
