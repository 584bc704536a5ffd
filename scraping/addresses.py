"""The guard against reaching private networks through a target.

A domain under investigation decides where its names point, where its site redirects
and which WHOIS server it refers to. Without a guard, a target could make a worker talk
to the loopback interface, the local network or a cloud metadata service. Every address
is resolved once here, each resolved address is checked, and the caller connects to the
checked address itself, so that a second resolution cannot swap in another one (DNS
rebinding). Only global unicast addresses pass, unless ALLOW_PRIVATE_ADDRESSES is on
(the replay world on loopback needs it; production keeps it off).
"""

import ipaddress
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


def is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
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


def ensure_public_host(host: str, port: int = 443) -> None:
    """Refuse a host that resolves to a non-public address, for clients that connect
    through a library of their own (requests): a check before the connection, without
    the pinning ``connect_checked`` gives. Used where the host comes from an answer or a
    target (a Mastodon instance, a redirect to another origin)."""
    resolve_checked(host, port)


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
