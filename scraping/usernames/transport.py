"""The HTTP side of the username checker: requests to the sites over a bounded pool.

Why an event loop and not the requests-based client the other sources use: a username run
asks hundreds of sites at once, and a thread per check costs a thread stack and the GIL
hand-offs of requests' pure-Python layers. One event loop keeps every check in flight for a
fraction of the CPU (bench/username_enum.py measures it). The same outbound proxy (HTTP or
SOCKS) and user agent settings apply as for every other source.

Where the time of a run goes (profiled on bench/username_enum.py): with a few hundred
answers arriving in the same instant, each waits for the loop to handle those ahead of
it, so the CPU spent per request, not the network, stretches every check. Hence uvloop
for the loop (about a quarter less CPU per request than asyncio's own loop, measured),
no garbage collection in the middle of a run (checker.py), name lookups on a pool sized
for a run (PooledResolver), and HTTP spoken by a small client of our own (wire.py,
connections.py) in place of aiohttp: its sessions, streams and tracing layers took a
first run over the bench's 478 sites to 0.21 s of CPU, where this client takes about
0.1 s and a bare socket loop 0.05 s (measured in the same bench). One connection per
site, reused for its control check.
"""

import asyncio
import json
import re
import socket
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cache, lru_cache, partial
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from ..domains.names import to_ascii
from ..overrides import route
from .connections import ConnectionPool, Connector, Disconnected, Key, check_proxy
from .wire import Answer, AnswerReader, header_lines, request_bytes

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is pinned, but does not build on Windows
    uvloop = None

T = TypeVar("T")

__all__ = ["Answer", "SiteTransport", "run_apart", "run_loop"]

_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_HOST = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Nothing in a path or query made only of these needs escaping.
_PLAIN = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
# Methods whose request may be sent again when a kept-alive connection turns out to have
# been closed by the site before it read anything (RFC 9110, 9.2.2).
_SAFE_TO_REPEAT = {"GET", "HEAD", "OPTIONS"}


def run_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a new event loop of its own: uvloop where it is installed."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        return runner.run(coroutine)


def green_threads() -> bool:
    """Whether this process's threads are gevent's greenlets (a gevent pool worker)."""
    # Looked up, not imported: a process that never loaded gevent is not patched, and
    # importing it here would cost a run a few tens of milliseconds.
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


class Running:
    """A function running apart: ``wait`` for it (True when it ended), then its
    ``result`` (or its exception, raised here)."""

    def __init__(self, wait: Callable[[float | None], bool], outcome: dict[str, Any]):
        self._wait = wait
        self._outcome = outcome

    def wait(self, timeout: float | None) -> bool:
        return self._wait(timeout)

    def result(self) -> Any:
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]


def run_apart(function: Callable[[], T], *, name: str) -> Running:
    """Start ``function`` on a thread of its own.

    On a gevent worker it must be a real thread, not a greenlet: an event loop on a
    greenlet would hold the whole worker while it runs (its waits are not gevent's), and
    every other greenlet of the thread would see a running loop, which Django takes for
    an async context and refuses database work in. gevent's pool of real threads gives
    one, and its result is waited for without blocking the other greenlets.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    if green_threads():
        import gevent

        done = gevent.get_hub().threadpool.spawn(run)
        return Running(lambda timeout: done.wait(timeout) is not None or done.ready(), outcome)
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def wait(timeout: float | None) -> bool:
        thread.join(timeout)
        return not thread.is_alive()

    return Running(wait, outcome)


# Name lookups a run may have under way at once. A run meets hundreds of hosts it has
# not seen, each looked up once; the loop's own executor (or libuv's, under uvloop) has
# four to six threads, which would queue those lookups behind each other.
DNS_THREADS = 32


def _usable(infos: list) -> list[tuple[int, str]]:
    return [
        (family, address[0])
        for family, _, _, _, address in infos
        # A link-local IPv6 address needs its scope, which a plain host string loses.
        if family == socket.AF_INET
        or (family == socket.AF_INET6 and len(address) > 3 and not address[3])
    ]


class LoopResolver:
    """Name lookups of a run, each host looked up once, on the event loop's own threads.
    Used as it is on a gevent worker, where Python's threads are greenlets that this loop
    would never let run (uvloop's are libuv's, not Python's). An address already numeric,
    as 127.0.0.1, never gets here: it is connected to as it is, with no lookup at all."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], asyncio.Future] = {}

    async def resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        """(family, address) pairs for ``host``, in the order the system gives them."""
        key = (host, port)
        if key not in self._known:
            self._known[key] = asyncio.ensure_future(self._look_up(host, port))
        return await asyncio.shield(self._known[key])

    async def _look_up(self, host: str, port: int) -> list[tuple[int, str]]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
        )
        return _usable(infos)

    async def close(self) -> None:
        for pending in self._known.values():
            pending.cancel()


class PooledResolver(LoopResolver):
    """The system's own name lookup (hosts file, nsswitch, resolv.conf) on a pool of
    threads sized for a run, where Python's threads are real ones."""

    def __init__(self, threads: int = DNS_THREADS):
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="username-dns")

    async def _look_up(self, host: str, port: int) -> list[tuple[int, str]]:
        lookup = partial(
            socket.getaddrinfo,
            host,
            port,
            socket.AF_UNSPEC,
            socket.SOCK_STREAM,
            0,
            socket.AI_ADDRCONFIG,
        )
        return _usable(await asyncio.get_running_loop().run_in_executor(self._pool, lookup))

    async def close(self) -> None:
        await super().close()
        self._pool.shutdown(wait=False, cancel_futures=True)


@cache
def default_tls() -> ssl.SSLContext:
    """Certificates checked against the system's trusted authorities, as browsers do."""
    return ssl.create_default_context()


class SiteTransport:
    """Requests to username sites, sent through the override and proxy when set."""

    def __init__(
        self,
        *,
        user_agent: str,
        concurrency: int,
        max_body_bytes: int,
        proxy: str | None = None,
        url_override: str | None = None,
        tls: ssl.SSLContext | None = None,
        allow_private: bool = False,
    ):
        check_proxy(proxy)
        # Fields every request carries, on the wire once for the run.
        self._fixed = {
            "User-Agent": user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        }
        self._fixed_lines = header_lines(self._fixed)
        self.concurrency = concurrency
        self.max_body_bytes = max_body_bytes
        self.proxy = proxy
        self.url_override = url_override
        self.tls = tls
        self.allow_private = allow_private
        self._pool: ConnectionPool | None = None
        self._connector: Connector | None = None

    @asynccontextmanager
    async def opened(self) -> AsyncIterator["SiteTransport"]:
        resolver = LoopResolver() if green_threads() else PooledResolver()
        override = _origin(self.url_override) if self.url_override else None
        self._connector = Connector(
            proxy=self.proxy,
            tls=(lambda: self.tls) if self.tls else default_tls,
            lookup=resolver.resolve,
            allow_private=self.allow_private,
            trusted=frozenset({Key(*override)} if override else ()),
        )
        self._pool = ConnectionPool(self._connector, 2 * self.concurrency)
        try:
            yield self
        finally:
            self._pool.close()
            await resolver.close()
            self._pool = self._connector = None

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        payload: object = None,
        read_limit: int | None = None,
    ) -> Answer:
        """One request without following redirects; the body read up to the limit.

        No cookie is kept: none may reach another site, nor one run the next."""
        if self._pool is None or self._connector is None:
            raise RuntimeError("SiteTransport.fetch is used inside opened()")
        target, routing = route(url, self.url_override)
        scheme, host, port, path = _split(target)
        authority = _authority(scheme, host, port)
        key = self._connector.key_for(scheme, host, port)
        proxied = key == self._connector.http_proxy
        if proxied and not routing:
            self._connector.check_named(host)  # the proxy resolves it
        fields = {"Host": authority}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode("utf-8")
            fields["Content-Type"] = "application/json"
        if proxied and self._connector.proxy_authorization:
            fields["Proxy-Authorization"] = self._connector.proxy_authorization
        fixed = self._fixed_lines
        if headers or routing:
            fields = _merged(fields, headers or {}, routing)
            replaced = {name.lower() for name in fields} & {k.lower() for k in self._fixed}
            if replaced:  # a site's own value for a field every request carries
                fixed = header_lines(
                    {k: v for k, v in self._fixed.items() if k.lower() not in replaced}
                )
        request = request_bytes(
            method, f"{scheme}://{authority}{path}" if proxied else path, fields, body, fixed=fixed
        )
        limit = min(read_limit or self.max_body_bytes, self.max_body_bytes)

        for attempt in range(2):
            # A second attempt takes a new connection: another idle one to the same
            # place may be as stale as the first.
            connection, reused = await self._pool.acquire(key, fresh=attempt > 0)
            reader = AnswerReader(head_only=method.upper() == "HEAD", limit=limit)
            try:
                answer = await connection.exchange(request, reader)
            except Disconnected as exc:
                connection.close()
                if attempt == 0 and reused and not exc.started and method in _SAFE_TO_REPEAT:
                    continue  # the site had closed the idle connection: once more, anew
                raise
            except BaseException:
                connection.close()  # cancelled (the site's time is up) or broken
                raise
            self._pool.release(connection, answer.reusable)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def preconnect(self, address: str) -> None:
        """Open a connection to the address's site ahead of its request."""
        if self._pool is None or self._connector is None:
            return
        target, _ = route(address, self.url_override)
        origin = _origin(target)
        if origin is not None:
            self._pool.preconnect(self._connector.key_for(*origin))

    def done_with(self, *addresses: str) -> None:
        """Nothing more goes to these addresses' sites in this run: close their idle
        connections. Behind an override every site shares the override's connections,
        which stay."""
        if self._pool is None or self._connector is None or self.url_override:
            return
        for address in addresses:
            origin = _origin(address) if address else None
            if origin is not None:
                self._pool.close_idle(self._connector.key_for(*origin))


def _origin(address: str) -> tuple[str, str, int] | None:
    try:
        scheme, host, port, _ = _split(address)
    except ValueError:
        return None
    return scheme, host, port


# An address is split when its connection is opened ahead, when it is asked and when its
# site is done with: once is enough.
@lru_cache(maxsize=4096)
def _split(address: str) -> tuple[str, str, int, str]:
    """Scheme, host (A-labels), port and request target of an address; text outside
    ASCII and spaces in the path and query are escaped, escapes already there kept."""
    parts = urlsplit(address)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http or https address: {address[:80]!r}")
    host = parts.hostname or ""
    if host and not host.isascii():
        host = to_ascii(host)
    if not _HOST.fullmatch(host):
        raise ValueError(f"no usable host in the address {address[:80]!r}")
    port = parts.port or _DEFAULT_PORTS[scheme]
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not _PLAIN.fullmatch(path):
        path = quote(parts.path or "/", safe=_URL_SAFE, errors="surrogateescape")
        if parts.query:
            path += "?" + quote(parts.query, safe=_URL_SAFE, errors="surrogateescape")
    return scheme, host, port, path


def _authority(scheme: str, host: str, port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == _DEFAULT_PORTS[scheme] else f"{name}:{port}"


def _merged(*layers: dict[str, str]) -> dict[str, str]:
    """Header fields, a later layer replacing a field of an earlier one whatever the case
    of its name."""
    fields: dict[str, str] = {}
    names: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            previous = names.get(name.lower())
            if previous is not None:
                del fields[previous]
            names[name.lower()] = name
            fields[name] = value
    return fields
