"""Refusing hosts that resolve to private addresses, for sources whose hosts come from
targets or from answers (a Mastodon instance, a WebFinger link), so a target cannot make
a worker reach the internal network. ``ALLOW_PRIVATE_ADDRESSES`` lifts the guard (the
replay world sets it)."""

import ipaddress
import socket

from django.conf import settings

from investigations.errors import PermanentError


def ensure_public_host(host: str) -> None:
    if settings.ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise PermanentError(f"The host {host!r} does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise PermanentError(
                f"The host {host!r} resolves to the non-public address {address}; refused "
                "(ALLOW_PRIVATE_ADDRESSES is off)"
            )
