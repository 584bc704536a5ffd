"""The guard against reaching private networks through a target.

A domain under investigation decides where its names point, where its site redirects
and which WHOIS server it refers to. Without a guard, a target could make a worker talk
to the loopback interface, the local network or a cloud metadata service. Every address
is resolved once here, each resolved address is checked, and the caller connects to the
checked address itself, so that a second resolution cannot swap in another one (DNS
rebinding): ``connect_checked`` for sockets of our own, ``pinning.PinnedAdapter`` for
requests. Only global unicast addresses pass, unless ALLOW_PRIVATE_ADDRESSES is on
(the replay world on loopback needs it; production keeps it off).
"""

import ipaddress
import re
import socket
from dataclasses import dataclass

from django.conf import settings

from investigations.errors import PermanentError, TransientError


class AddressRefused(PermanentError):
    """The name resolves to an address the product must not reach."""


class NoService(PermanentError):
    """Nothing answers there: the name does not exist, or the port refuses connections.
    For a source that looks for a service (a web site), that is a finding, not a fault."""


@dataclass(frozen=True)
class CheckedAddress:
    host: str  # the name as asked
    ip: str
    port: int
    family: int


# The NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 address the
# network's translator connects to, so that address decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IPv6 forms refused whatever they embed: the local-use NAT64 prefix leads to the
# operator's own translator (RFC 8215); IPv4-compatible addresses (::a.b.c.d, deprecated
# by RFC 4291) and IPv4-translated ones (::ffff:0:a.b.c.d, RFC 2765) may be delivered to
# the IPv4 address they carry; Teredo (2001::/32, RFC 4380) goes through a relay to a
# client behind NAT. None is a destination a collector needs, and Python's own tables
# of global ranges differ between versions on several of them.
_REFUSED_IPV6 = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96", "2001::/32")
)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped, 6to4 or NAT64."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(ip: str) -> bool:
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _REFUSED_IPV6):
            return False
        address = _embedded_ipv4(address) or address
    return address.is_global and not address.is_multicast


def resolve_checked(
    host: str, port: int, *, allow_private: bool | None = None
) -> list[CheckedAddress]:
    """Every address ``host`` resolves to, when all of them may be reached.

    One private address among public ones refuses the name: a resolver that answers
    both would otherwise let the connection land on the private one.
    """
    allow = settings.ALLOW_PRIVATE_ADDRESSES if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise NoService(f"{host} does not resolve: {exc.strerror or exc}") from exc
        raise TransientError(f"Could not resolve {host}: {exc.strerror or exc}") from exc
    except UnicodeError as exc:
        raise PermanentError(f"Not a valid host name: {host!r}") from exc

    addresses = []
    for family, _, _, _, sockaddr in infos:
        ip = sockaddr[0]
        if not allow and not is_public(ip):
            raise AddressRefused(
                f"{host} resolves to {ip}, a private, loopback or link-local address; "
                "refused (set ALLOW_PRIVATE_ADDRESSES to allow)"
            )
        checked = CheckedAddress(host, ip, port, family)
        if checked not in addresses:
            addresses.append(checked)
    if not addresses:
        raise TransientError(f"{host} resolves to no address")
    return addresses


# IPv4 addresses as inet_aton reads them (127.1, 0x7f000001, 017700000001), which some
# proxies accept as well as the dotted quad.
_LEGACY_IPV4 = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$", re.I)


def _literal_address(host: str) -> str | None:
    """The IP address a host written as an address stands for, or None for a name."""
    text = host.strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if _LEGACY_IPV4.match(text):
        try:
            return socket.inet_ntoa(socket.inet_aton(text))
        except OSError:
            return None
    return None


def ensure_not_private_literal(host: str, *, allow_private: bool | None = None) -> None:
    """Refuse a host written as a non-public IP address, or a ``localhost`` name, for a
    connection through a proxy that resolves names itself: only the proxy knows what a
    name resolves to, so this is all that can be checked on this side."""
    allow = settings.ALLOW_PRIVATE_ADDRESSES if allow_private is None else allow_private
    if allow:
        return
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        raise AddressRefused(
            f"{host} is a loopback name; refused (set ALLOW_PRIVATE_ADDRESSES to allow)"
        )
    ip = _literal_address(host)
    if ip is not None and not is_public(ip):
        raise AddressRefused(
            f"{host} is {ip}, a private, loopback or link-local address; "
            "refused (set ALLOW_PRIVATE_ADDRESSES to allow)"
        )


def connect_checked(
    host: str, port: int, *, timeout: float, allow_private: bool | None = None
) -> tuple[socket.socket, CheckedAddress]:
    """A TCP connection to the first reachable checked address of ``host``."""
    last_error: OSError | None = None
    for address in resolve_checked(host, port, allow_private=allow_private):
        sock = socket.socket(address.family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address.ip, port))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock, address
    if isinstance(last_error, TimeoutError):
        raise TransientError(f"No answer from {host}:{port} within {timeout:.0f} s")
    if isinstance(last_error, ConnectionRefusedError):
        raise NoService(f"{host}:{port} refuses connections")
    raise TransientError(f"Could not connect to {host}:{port}: {last_error}")
