"""The HTTP side of the username checker: one aiohttp session with a bounded pool.

Why aiohttp and not the requests-based client the other sources use: a username run asks
hundreds of sites at once, and a thread per check costs a thread stack and the GIL
hand-offs of requests' pure-Python layers. One event loop keeps every check in flight for a
fraction of the CPU (bench/username_enum.py measures it). The same outbound proxy (HTTP or
SOCKS) and user agent settings apply as for every other source.

Where the time of a run goes (profiled on bench/username_enum.py): with a few hundred
answers arriving in the same instant, each waits for the loop to handle those ahead of
it, so the CPU spent per request, not the network, stretches every check. Hence uvloop
for the loop (about a quarter less CPU per request than asyncio's own loop, measured),
no garbage collection in the middle of a run (checker.py), and name lookups on a pool
sized for a run (PooledResolver). What is left per request is mostly aiohttp's own work
and the kernel's: one connection per site, reused for its control check.
"""

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp_socks import ProxyConnector, ProxyType
from yarl import URL

from ..overrides import route

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is pinned, but does not build on Windows
    uvloop = None

T = TypeVar("T")

_CHUNK = 64 * 1024
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_SOCKS = {
    "socks5": (ProxyType.SOCKS5, False),
    "socks5h": (ProxyType.SOCKS5, True),
    "socks4": (ProxyType.SOCKS4, False),
    "socks4a": (ProxyType.SOCKS4, True),
}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    truncated: bool


def run_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a new event loop of its own: uvloop where it is installed."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        return runner.run(coroutine)


def green_threads() -> bool:
    """Whether this process's threads are gevent's greenlets (a gevent pool worker)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is pinned
        return False
    return monkey.is_module_patched("threading")


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


class PooledResolver(AbstractResolver):
    """The system's own name lookup (hosts file, nsswitch, resolv.conf) on a pool of
    threads sized for a run. An address already numeric, as 127.0.0.1, never gets here:
    aiohttp connects to it as it is, with no lookup at all."""

    def __init__(self, threads: int = DNS_THREADS):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="username-dns")

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        lookup = partial(
            socket.getaddrinfo, host, port, family, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG
        )
        infos = await asyncio.get_running_loop().run_in_executor(self._pool, lookup)
        return [
            ResolveResult(
                hostname=host,
                host=address[0],
                port=address[1],
                family=found_family,
                proto=proto,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for found_family, _, proto, _, address in infos
            # A link-local IPv6 address needs its scope, which a plain host string loses.
            if found_family == socket.AF_INET
            or (found_family == socket.AF_INET6 and len(address) > 3 and not address[3])
        ]

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _connector(proxy: str | None, limit: int, resolver: AbstractResolver) -> aiohttp.BaseConnector:
    # No per-host limit: behind an override every site is one host, and the global limit
    # is the bound that matters. Keep-alive lets a control check reuse the connection.
    options = {
        "limit": limit,
        "limit_per_host": 0,
        "ttl_dns_cache": 300,
        "resolver": resolver,
    }
    scheme = urlsplit(proxy).scheme.lower() if proxy else ""
    if scheme in _SOCKS:
        parts = urlsplit(proxy)
        kind, remote_dns = _SOCKS[scheme]
        return ProxyConnector(
            host=parts.hostname or "",
            port=parts.port or 1080,
            proxy_type=kind,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            rdns=remote_dns,
            **options,
        )
    return aiohttp.TCPConnector(**options)


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
    ):
        self.user_agent = user_agent
        self.concurrency = concurrency
        self.max_body_bytes = max_body_bytes
        self.proxy = proxy
        self.url_override = url_override
        self._session: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def opened(self) -> AsyncIterator["SiteTransport"]:
        http_proxy = self.proxy if self.proxy and self.proxy.startswith("http") else None
        self._http_proxy = http_proxy
        # The connector does not close a resolver it was given: closed below. On a gevent
        # worker, Python's threads are greenlets that this loop would never let run: name
        # lookups then go to the loop's own (uvloop's are libuv's threads, not Python's).
        resolver = aiohttp.ThreadedResolver() if green_threads() else PooledResolver()
        self._session = aiohttp.ClientSession(
            connector=_connector(
                self.proxy if not http_proxy else None, self.concurrency, resolver
            ),
            headers={"User-Agent": self.user_agent},
            # No cookie from one site may reach another, nor one run the next.
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None),
        )
        try:
            yield self
        finally:
            await self._session.close()
            await resolver.close()
            self._session = None

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        payload: object = None,
        read_limit: int | None = None,
    ) -> Answer:
        """One request without following redirects; the body read up to the limit."""
        if self._session is None:
            raise RuntimeError("SiteTransport.fetch is used inside opened()")
        target, routing = route(url, self.url_override)
        # Escapes already in the address stay; spaces and non-ASCII text get escaped.
        target = quote(target, safe=_URL_SAFE)
        limit = min(read_limit or self.max_body_bytes, self.max_body_bytes)
        async with self._session.request(
            method,
            URL(target, encoded=True),
            headers={**(headers or {}), **routing},
            json=payload,
            allow_redirects=False,
            proxy=self._http_proxy,
        ) as response:
            chunks, size, truncated = [], 0, False
            async for chunk in response.content.iter_chunked(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    truncated = True
                    break
            body = b"".join(chunks)[:limit]
            return Answer(
                status=response.status,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=body,
                truncated=truncated,
            )
