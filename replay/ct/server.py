"""A loopback server that answers like crt.sh's JSON output from recorded certificate
searches.

``GET /?q=%.example.com&output=json`` (or ``q=example.com``) answers the rows kept for
that domain in ``fixtures/<domain>.json``, byte for byte, with crt.sh's content type; a
domain without a fixture answers ``[]`` as crt.sh does for a search that finds nothing.
A request without ``output=json`` answers HTML, as crt.sh would. Tests queue their own
answers (a 502, an oversized or slow body) with ``queue``.
"""

import threading
from collections import deque
from pathlib import Path

from ..http import ReplayServer, Reply, Request

FIXTURES = Path(__file__).resolve().parent / "fixtures"
JSON_TYPE = "application/json"


def searched_domain(query: str) -> str:
    """The domain of a crt.sh ``q``: ``%.example.com`` and ``example.com`` name the same."""
    return query.strip().removeprefix("%.").removeprefix("%").lower().rstrip(".")


class CtReplay(ReplayServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.fixtures = {path.stem: path.read_bytes() for path in FIXTURES.glob("*.json")}
        self._queued: deque[Reply] = deque()
        self._queue_lock = threading.Lock()

    def queue(self, *replies: Reply) -> None:
        """Answer the next searches with these replies, in order."""
        with self._queue_lock:
            self._queued.extend(replies)

    def searches(self) -> list[str]:
        return [r.query.get("q", "") for r in self.requests]

    def handle(self, request: Request) -> Reply:
        with self._queue_lock:
            if self._queued:
                return self._queued.popleft()
        if request.path not in ("/", ""):
            return Reply(404, "<html><body>Not found</body></html>", {"content-type": "text/html"})
        domain = searched_domain(request.query.get("q", ""))
        if request.query.get("output") != "json":
            return Reply(200, "<html><body>crt.sh</body></html>", {"content-type": "text/html"})
        body = self.fixtures.get(domain, b"[]")
        return Reply(200, body, {"content-type": JSON_TYPE})
