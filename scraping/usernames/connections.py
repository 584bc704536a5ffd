"""Connections for the username checks: opened directly or through the outbound proxy,
kept open for the site's next request (its control check), and bounded in number.

A connection is an asyncio protocol that hands the bytes it receives straight to the
answer being read (wire.AnswerReader), so one request costs a write, the kernel's work and
one future, with no stream or extra task between. The pool keeps at most ``limit``
connections open; when a new one is needed at the bound, the longest idle one is closed.
A connection may be opened ahead of its request (``preconnect``); a request for the same
site waits for that opening instead of making a second one.
"""

import asyncio
import socket
import ssl
from base64 import b64encode
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from python_socks import ProxyError, ProxyTimeoutError, ProxyType
from python_socks.async_.asyncio import Proxy

from .. import addresses
from .wire import Answer, AnswerReader, BadAnswer

PROXY_SCHEMES = {
    "http": (ProxyType.HTTP, True),
    "socks5": (ProxyType.SOCKS5, False),
    "socks5h": (ProxyType.SOCKS5, True),
    "socks4": (ProxyType.SOCKS4, False),
    "socks4a": (ProxyType.SOCKS4, True),
}


def check_proxy(proxy: str | None) -> None:
    """Refuse an outbound proxy address the checks cannot use, before any run."""
    if proxy:
        parts = urlsplit(proxy)
        if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
            raise ValueError(
                "OUTBOUND_PROXY must be an http://, socks5://, socks5h://, socks4:// or "
                "socks4a:// address with a host"
            )


class Disconnected(ConnectionError):
    """The site closed the connection before its answer was whole."""

    def __init__(self, started: bool):
        super().__init__(
            "the site closed the connection "
            + ("in the middle of its answer" if started else "before answering")
        )
        self.started = started


class ProxyRefused(ConnectionError):
    """The outbound proxy would not open a way to the site."""


class PrivateAddress(ConnectionRefusedError):
    """The site's name points at a private, loopback or link-local address, which is not
    asked unless ALLOW_PRIVATE_ADDRESSES is on (scraping/addresses.py has the rules)."""


class Key(NamedTuple):
    """What a connection can be reused for: one site's origin, or, for plain-HTTP
    addresses through an HTTP proxy, every such address (the proxy takes them all)."""

    scheme: str
    host: str
    port: int


class SiteConnection(asyncio.Protocol):
    def __init__(self, key: Key, on_lost: Callable[[], None]):
        self.key = key
        self.closed = False
        self._on_lost = on_lost
        self._transport: asyncio.Transport | None = None
        self._reader: AnswerReader | None = None
        self._waiter: asyncio.Future | None = None

    # -- asyncio's side --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader, waiter = self._reader, self._waiter
        if reader is None or waiter is None or waiter.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted again
            return
        try:
            answer = reader.feed(data)
        except BadAnswer as exc:
            waiter.set_exception(exc)
            self.close()
            return
        if answer is not None:
            waiter.set_result(answer)

    def eof_received(self) -> bool:
        # The site closed its side cleanly (FIN, or TLS close_notify): an answer whose
        # body runs to the end of the connection is whole. Nothing more can be sent here.
        self.closed = True
        self._ended(clean=True)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        # Lost without a clean close (a reset, TLS cut off): no answer is whole by it.
        self._ended(clean=False)
        self._on_lost()

    def _ended(self, *, clean: bool) -> None:
        reader, waiter = self._reader, self._waiter
        if reader is None or waiter is None or waiter.done():
            return
        try:
            answer = reader.end() if clean else None
        except BadAnswer as exc:
            waiter.set_exception(exc)
            return
        if answer is None:
            waiter.set_exception(Disconnected(started=reader.started))
        else:
            waiter.set_result(answer)

    # -- ours -------------------------------------------------------------------------------

    async def exchange(self, request: bytes, reader: AnswerReader) -> Answer:
        """Send one request and wait for its whole answer."""
        if self.closed or self._transport is None or self._transport.is_closing():
            raise Disconnected(started=False)
        self._reader = reader
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            self._transport.write(request)
            return await self._waiter
        finally:
            self._reader = self._waiter = None

    def close(self) -> None:
        """Close at once, with nothing more sent or read."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()


Lookup = Callable[[str, int], Awaitable[list[tuple[int, str]]]]


class Connector:
    """Opens connections to a site: directly (its name looked up with ``lookup``), or
    through an HTTP proxy (a CONNECT tunnel for https, the proxy itself for http) or a
    SOCKS proxy."""

    def __init__(
        self,
        *,
        proxy: str | None,
        tls: Callable[[], ssl.SSLContext],
        lookup: Lookup,
        allow_private: bool = False,
        trusted: frozenset[Key] = frozenset(),
    ):
        # Made when the first https connection needs it: loading the trusted authorities
        # takes tens of milliseconds that a run of plain-HTTP sites need not pay.
        self.tls = tls
        self._lookup = lookup
        # Where a site's name points is the site's to decide (a lapsed domain, a redirect
        # to an inner host): addresses are checked as for every other source, except
        # those named in settings (``trusted``: the override's).
        self.allow_private = allow_private
        self.trusted = trusted
        self._remote_names = False
        self._proxy: Proxy | None = None
        self.http_proxy: Key | None = None  # plain-HTTP addresses go to it, written whole
        self.proxy_authorization = ""
        if proxy:
            check_proxy(proxy)
            parts = urlsplit(proxy)
            kind, remote_names = PROXY_SCHEMES[parts.scheme.lower()]
            self._remote_names = remote_names
            user = unquote(parts.username) if parts.username else None
            password = unquote(parts.password) if parts.password else None
            port = parts.port or (8080 if kind == ProxyType.HTTP else 1080)
            self._proxy = Proxy(kind, parts.hostname, port, user, password, rdns=remote_names)
            if kind == ProxyType.HTTP:
                self.http_proxy = Key("http", parts.hostname, port)
                self.trusted = trusted | {self.http_proxy}  # named in settings
                if user is not None:
                    self.proxy_authorization = _basic(user, password or "")

    def key_for(self, scheme: str, host: str, port: int) -> Key:
        if scheme == "http" and self.http_proxy is not None:
            return self.http_proxy
        return Key(scheme, host, port)

    async def open(self, key: Key, on_lost: Callable[[], None]) -> SiteConnection:
        loop = asyncio.get_running_loop()
        tls = self.tls() if key.scheme == "https" else None
        server_name = key.host if tls is not None else None

        def protocol() -> SiteConnection:
            return SiteConnection(key, on_lost)

        if self._proxy is not None and key != self.http_proxy:
            destination = key.host
            if self._checks(key) and self._remote_names:
                self.check_named(key.host)  # the proxy resolves it: only this is ours
            elif self._checks(key):
                _, destination = (await self._checked(key.host, key.port))[0]
            try:
                sock = await self._proxy.connect(destination, key.port)
            except ProxyTimeoutError as exc:
                raise ProxyRefused(f"the outbound proxy timed out: {exc}") from None
            except ProxyError as exc:
                raise ProxyRefused(f"the outbound proxy refused: {exc}") from None
            try:
                _, connection = await loop.create_connection(
                    protocol, sock=sock, ssl=tls, server_hostname=server_name
                )
            except BaseException:
                sock.close()
                raise
            return connection

        error: OSError | None = None
        addresses = (
            await self._checked(key.host, key.port)
            if self._checks(key)
            else await self._addresses(key.host, key.port)
        )
        for family, address in addresses:
            try:
                _, connection = await loop.create_connection(
                    protocol,
                    host=address,
                    port=key.port,
                    family=family,
                    ssl=tls,
                    server_hostname=server_name,
                )
            except OSError as exc:  # the next address may answer
                error = exc
                continue
            return connection
        raise error or OSError(f"no address found for {key.host}")

    def _checks(self, key: Key) -> bool:
        return not self.allow_private and key not in self.trusted

    def check_named(self, host: str) -> None:
        """Refuse a host written as a private address or a localhost name, for a request
        a proxy resolves; a no-op where private addresses are allowed."""
        if self.allow_private:
            return
        try:
            addresses.ensure_not_private_literal(host, allow_private=False)
        except addresses.AddressRefused as exc:
            raise PrivateAddress(str(exc)) from None

    async def _checked(self, host: str, port: int) -> list[tuple[int, str]]:
        """The host's addresses, when every one of them is public: one private address
        among public ones refuses the name, as a connection could land on it."""
        found = await self._addresses(host, port)
        refused = [address for _, address in found if not addresses.is_public(address)]
        if refused:
            raise PrivateAddress(
                f"{host} points at {refused[0]}, a private, loopback or link-local address;"
                " not asked (ALLOW_PRIVATE_ADDRESSES allows it)"
            )
        if not found:
            raise OSError(f"no address found for {host}")
        return found

    async def _addresses(self, host: str, port: int) -> list[tuple[int, str]]:
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                socket.inet_pton(family, host)
            except OSError:
                continue
            return [(family, host)]  # an address already: no lookup
        return await self._lookup(host, port)


def _basic(user: str, password: str) -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode("ascii")


class ConnectionPool:
    """At most ``limit`` connections open; idle ones kept per site for the next request."""

    def __init__(self, connector: Connector, limit: int):
        self._connector = connector
        self._slots = asyncio.Semaphore(limit)
        self._idle: dict[Key, list[SiteConnection]] = {}
        self._idle_order: OrderedDict[SiteConnection, None] = OrderedDict()
        self._opening: dict[Key, asyncio.Future] = {}
        self._waiting = 0  # requests waiting for a place under the bound

    def preconnect(self, key: Key) -> None:
        """Open a connection for ``key`` ahead of its request, unless one is open or
        opening, or the pool is at its bound (an opening ahead never waits for a place);
        a failure is left for the request to meet and report."""
        if self._idle.get(key) or key in self._opening or self._slots.locked():
            return
        opening = asyncio.ensure_future(self._open_idle(key))
        self._opening[key] = opening
        opening.add_done_callback(lambda done: self._opened(key, done))

    async def _open_idle(self, key: Key) -> None:
        connection, _ = await self._open(key)
        self.release(connection, reusable=True)

    def _opened(self, key: Key, opening: asyncio.Future) -> None:
        self._opening.pop(key, None)
        if not opening.cancelled():
            opening.exception()  # seen here; the request will meet it again

    async def acquire(self, key: Key, *, fresh: bool = False) -> tuple[SiteConnection, bool]:
        """A connection for ``key`` and whether it was used before; with ``fresh``, a
        new one."""
        opening = self._opening.get(key)
        if opening is not None and not fresh:
            await asyncio.wait([opening])
        waiting = None if fresh else self._idle.get(key)
        while waiting:
            connection = waiting.pop()
            self._idle_order.pop(connection, None)
            if not connection.closed:
                return connection, True
        return await self._open(key)

    async def _open(self, key: Key) -> tuple[SiteConnection, bool]:
        while self._slots.locked() and self._idle_order:
            # At the bound: the longest idle connection makes room (its slot comes back
            # when asyncio reports it closed, so one is closed per connection wanted).
            oldest, _ = self._idle_order.popitem(last=False)
            self._idle[oldest.key].remove(oldest)
            if not oldest.closed:
                oldest.close()
                break
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        released = False

        def release_slot() -> None:
            nonlocal released
            if not released:
                released = True
                self._slots.release()

        try:
            return await self._connector.open(key, release_slot), False
        except BaseException:
            release_slot()
            raise

    def release(self, connection: SiteConnection, reusable: bool) -> None:
        # With requests waiting for a place, a connection kept idle would hold one of
        # theirs: it is closed, and its place goes to the first of them.
        if not reusable or connection.closed or self._waiting:
            connection.close()
            return
        self._idle.setdefault(connection.key, []).append(connection)
        self._idle_order[connection] = None

    def close_idle(self, key: Key) -> None:
        """Close the idle connections for ``key``: nothing more will be sent there."""
        for connection in self._idle.pop(key, []):
            self._idle_order.pop(connection, None)
            connection.close()

    def close(self) -> None:
        for opening in self._opening.values():
            opening.cancel()
        for connection in self._idle_order:
            connection.close()
        self._idle.clear()
        self._idle_order.clear()
