"""requests connections pinned to addresses the guard checked.

requests resolves a host name itself when it opens a connection. Checking the name
beforehand leaves a window: a name that answers a public address to the check and a
private one to the connection (DNS rebinding) reaches the private one. ``PinnedAdapter``
closes it for hosts that come from a target or an answer (a Mastodon instance, an RDAP
server named by the registry, a redirect to another origin): each new connection resolves
the name once through ``addresses.resolve_checked`` and opens the socket to an address
that passed. TLS still sends the host name (SNI) and verifies the certificate against it,
because urllib3 wraps the socket after ``_new_conn`` using the connection's host.

Through ``OUTBOUND_PROXY`` the proxy resolves names (``http://``, ``https://``,
``socks5h://``, ``socks4a://``), so no local check can hold: only hosts written as a
non-public IP address or a ``localhost`` name are refused here, and keeping the proxy
away from private networks is the proxy's own configuration. ``socks5://`` and
``socks4://`` resolve names on this side: those connections are pinned like direct ones
and the proxy is handed the checked address.

With ALLOW_PRIVATE_ADDRESSES on, ``resolve_checked`` checks nothing and connections go
to whatever the name resolves to.
"""

from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.contrib.socks import (
    SOCKSConnection,
    SOCKSHTTPConnectionPool,
    SOCKSHTTPSConnection,
    SOCKSHTTPSConnectionPool,
    SOCKSProxyManager,
)
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import addresses


class _PinnedConnection:
    """Mixin for urllib3 connections: a new socket goes only to a checked address.

    urllib3's own ``_new_conn`` opens the socket to ``_dns_host``; it is pointed at each
    checked address in turn and set back to the name before anything else reads it, so
    urllib3 keeps its socket options, timeouts and errors, and TLS (set up after this
    returns) still names the host.
    """

    _dns_host: str
    port: int

    def _new_conn(self) -> Any:
        name = self._dns_host
        last_error: Exception | None = None
        for address in addresses.resolve_checked(name, self.port):
            self._dns_host = address.ip
            try:
                return super()._new_conn()  # type: ignore[misc]
            except (NewConnectionError, ConnectTimeoutError) as exc:
                last_error = exc
            finally:
                self._dns_host = name
        raise last_error or NewConnectionError(self, f"{name} resolves to no address")  # type: ignore[arg-type]


class _PinnedHTTPConnection(_PinnedConnection, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


class _PinnedSOCKSConnection(_PinnedConnection, SOCKSConnection):
    pass


class _PinnedSOCKSHTTPSConnection(_PinnedConnection, SOCKSHTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedSOCKSHTTPPool(SOCKSHTTPConnectionPool):
    ConnectionCls = _PinnedSOCKSConnection


class _PinnedSOCKSHTTPSPool(SOCKSHTTPSConnectionPool):
    ConnectionCls = _PinnedSOCKSHTTPSConnection


_DIRECT_POOLS = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}
_LOCALLY_RESOLVED_SOCKS_POOLS = {"http": _PinnedSOCKSHTTPPool, "https": _PinnedSOCKSHTTPSPool}


def _resolves_locally(manager: Any) -> bool:
    """A SOCKS proxy spoken to without remote resolution (socks5://, socks4://)."""
    return (
        isinstance(manager, SOCKSProxyManager)
        and not manager.connection_pool_kw["_socks_options"]["rdns"]
    )


class PinnedAdapter(HTTPAdapter):
    """An adapter for hosts that are not trusted: see the module's docstring."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _DIRECT_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if _resolves_locally(manager):
            manager.pool_classes_by_scheme = _LOCALLY_RESOLVED_SOCKS_POOLS
        return manager

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        proxy = select_proxy(request.url, proxies)
        if proxy and not _resolves_locally(self.proxy_manager_for(proxy)):
            addresses.ensure_not_private_literal(urlsplit(request.url).hostname or "")
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )
