"""The site simulation: a loopback server answering profile addresses of manifest sites.

Two ways to reach it:
- one port for every site (tests, the demo): the product sends each request to
  ``SITE_URL_OVERRIDE`` with the site's real host in ``X-Original-Host``; the host and
  the path pick the site;
- one port per site (the benchmark): each site's addresses are rewritten to its own
  loopback port, so any client, Sherlock included, reaches it without knowing of the
  simulation; the port picks the site.

It runs on asyncio so that hundreds of connections held open by a latency setting cost
no thread each; started from a test it runs its loop in a thread of its own.
"""

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scraping.domains.names import to_ascii
from scraping.overrides import ORIGINAL_HOST_HEADER
from scraping.usernames.manifest import Site

from .behaviour import GATE_PAGES, Scenario, SimReply, SimulatedSite, scenario_reply

_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
_MAX_HEADER_BYTES = 64 * 1024


@dataclass
class SiteRequest:
    method: str
    host: str
    target: str  # path and query as received
    headers: dict[str, str]
    body: bytes = b""
    site: str = ""
    username: str | None = None


@dataclass
class Truth:
    """Which names exist where: each site's own example account, plus these."""

    everywhere: set[str] = field(default_factory=set)
    by_site: dict[str, set[str]] = field(default_factory=dict)

    def add(self, username: str, site_ids: Iterable[str] | None = None) -> None:
        if site_ids is None:
            self.everywhere.add(username.lower())
            return
        for site_id in site_ids:
            self.by_site.setdefault(site_id, set()).add(username.lower())

    def exists(self, site: Site, username: str) -> bool:
        name = username.lower()
        return (
            name == site.claimed.lower()
            or name in self.everywhere
            or name in self.by_site.get(site.id, set())
        )


class SiteSimulation:
    def __init__(
        self,
        sites: list[Site],
        *,
        truth: Truth | None = None,
        per_site_ports: bool = False,
        latency: float = 0.0,
        slow_seconds: float = 30.0,
        host: str = "127.0.0.1",
        keep_log: bool = True,
        ports: dict[str, int] | None = None,
    ):
        self.truth = truth or Truth()
        self.per_site_ports = per_site_ports
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.host = host
        self.keep_log = keep_log
        self.scenarios: dict[str, Scenario] = {}
        self.requests: list[SiteRequest] = []
        self.sims = {s.id: SimulatedSite(s, with_host=not per_site_ports) for s in sites}
        self._by_host: dict[str, list[SimulatedSite]] = {}
        for sim in self.sims.values():
            for hostname in sim.site.hosts:
                # Hosts arrive in A-labels (scraping/overrides.py); compared as such.
                name = hostname if hostname.isascii() else to_ascii(hostname)
                self._by_host.setdefault(name.removeprefix("www."), []).append(sim)
        self.ports: dict[str, int] = {}
        self._wanted_ports = dict(ports or {})  # site id (or "*") -> port; 0 = any free
        self._servers: list[asyncio.AbstractServer] = []
        self._open: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- control ------------------------------------------------------------------------------

    def set_scenario(self, site_id: str, scenario: Scenario | str | None) -> None:
        if scenario is None:
            self.scenarios.pop(site_id, None)
        else:
            self.scenarios[site_id] = Scenario(scenario)

    def requests_for(self, site_id: str) -> list[SiteRequest]:
        with self._lock:
            return [r for r in self.requests if r.site == site_id]

    @property
    def url(self) -> str:
        """The single address for every site (one-port mode)."""
        return f"http://{self.host}:{self.ports['*']}"

    def site_url(self, site_id: str) -> str:
        return f"http://{self.host}:{self.ports[site_id]}"

    # -- life -----------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Open the listening sockets on the running loop."""
        self._loop = asyncio.get_running_loop()
        if self.per_site_ports:
            for site_id in self.sims:
                await self._listen(site_id)
        else:
            await self._listen("*")

    async def _listen(self, key: str) -> None:
        port = self._wanted_ports.get(key, 0)
        server = await self._loop.create_server(
            lambda: self._connection(key), self.host, port, backlog=1024
        )
        self._servers.append(server)
        self.ports[key] = server.sockets[0].getsockname()[1]

    def start(self) -> "SiteSimulation":
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.serve())
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="SiteSimulation", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            for server in self._servers:
                server.close()
            # Connections still open (a slow answer) end here, not with the loop.
            for connection in list(self._open):
                connection.abort()

        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> "SiteSimulation":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answering ------------------------------------------------------------------------------

    def _connection(self, key: str) -> "_Connection":
        return _Connection(self, key)

    @staticmethod
    def _parse_request(buffer: bytearray) -> tuple[SiteRequest | None, int]:
        """The first whole request in ``buffer`` and the bytes it took (0: not whole yet)."""
        end = buffer.find(b"\r\n\r\n")
        if end > _MAX_HEADER_BYTES:
            raise ValueError("request head too long")
        if end < 0:
            return None, 0
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        used = end + 4 + length
        if len(buffer) < used:
            return None, 0
        body = bytes(buffer[end + 4 : used])
        return SiteRequest(method.upper(), headers.get("host", ""), target, headers, body), used

    @staticmethod
    def _encode(request: SiteRequest, reply: SimReply) -> bytes:
        # HEAD, 204 and 304 answers carry no body.
        no_body = request.method == "HEAD" or reply.status in (204, 304)
        body = b"" if no_body else reply.body
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
        headers["Content-Length"] = str(len(reply.body) if request.method == "HEAD" else len(body))
        head += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    def _site_for(self, key: str, request: SiteRequest) -> tuple[SimulatedSite | None, str]:
        if key != "*":
            sim = self.sims[key]
            return sim, sim.username_in(request.target, request.body) or ""
        host = (request.headers.get(ORIGINAL_HOST_HEADER.lower()) or request.host).lower()
        host = host.split(":")[0].removeprefix("www.")
        request.host = host
        for sim in self._by_host.get(host, []) + self._subdomain_sites(host):
            username = sim.username_in(host + request.target, request.body)
            if username:
                return sim, username
        return None, ""

    def _subdomain_sites(self, host: str) -> list[SimulatedSite]:
        # Sites that keep each profile on its own subdomain ({username}.example.com).
        parent = host.partition(".")[2]
        return [
            sim
            for sim in self.sims.values()
            if any(h.startswith("x.") and h[2:] == parent for h in sim.site.hosts)
        ]

    def answer(self, key: str, request: SiteRequest) -> SimReply:
        sim, username = self._site_for(key, request)
        if self.keep_log:
            request.site, request.username = (sim.site.id if sim else ""), username or None
            with self._lock:
                self.requests.append(request)
        path = urlsplit(request.target).path.rstrip("/")
        if path in GATE_PAGES:
            return SimReply(200, GATE_PAGES[path])
        if sim is None:
            return SimReply(404, b"<html><body>No such page</body></html>")
        exists = self.truth.exists(sim.site, username)
        origin = f"http://{self.host}:{self.ports[key]}" if key != "*" else ""
        scenario = self.scenarios.get(sim.site.id)
        if scenario is None:
            return sim.answer(request.method, username, exists, origin)
        reply = scenario_reply(scenario, sim, request.method, username, exists, origin)
        if scenario == Scenario.SLOW:
            reply.delay = self.slow_seconds
        return reply


class _Connection(asyncio.Protocol):
    """One client connection: requests answered in turn, each after the latency.

    A protocol rather than a stream handler task: with hundreds of connections opened in
    the same instant, a task, a reader and a writer for each cost the simulation more
    time than answering does, and that time would be charged to the client measured.
    """

    def __init__(self, simulation: SiteSimulation, key: str):
        self.simulation = simulation
        self.key = key
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.answering = False  # a request waits for its latency; later ones queue
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.simulation._open.add(self)

    def connection_lost(self, exc) -> None:
        self.simulation._open.discard(self)
        if self.timer is not None:
            self.timer.cancel()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.answering:
            self._next()

    def _next(self) -> None:
        try:
            request, used = SiteSimulation._parse_request(self.buffer)
        except ValueError:  # a broken length or an endless head: no answer for it
            self.abort()
            return
        if request is None:
            if len(self.buffer) > _MAX_HEADER_BYTES:
                self.abort()
            return
        del self.buffer[:used]
        self.answering = True
        reply = self.simulation.answer(self.key, request)
        payload = SiteSimulation._encode(request, reply)
        close = request.headers.get("connection", "").lower() == "close"
        delay = self.simulation.latency + reply.delay
        if delay:
            self.timer = asyncio.get_running_loop().call_later(delay, self._send, payload, close)
        else:
            self._send(payload, close)

    def _send(self, payload: bytes, close: bool) -> None:
        self.timer = None
        self.answering = False
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(payload)
        if close:
            self.transport.close()
        elif self.buffer:
            self._next()
