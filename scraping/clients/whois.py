"""A WHOIS client over TCP port 43 (RFC 3912), with the limits every source has.

- The registry's server for a TLD is asked of IANA (``whois.iana.org``), as whois(1)
  does, and kept in the cache for a day.
- A thin registry's answer names the registrar's own server ("Registrar WHOIS Server:",
  "ReferralServer: whois://..."): it is asked too, once.
- Servers that need their own query syntax get it (Verisign's ``domain NAME`` keeps
  other names that start the same way out of the answer; DENIC wants ``-T dn,ace``).
- Every connection goes through the address guard; an answer is read up to a size and
  a total time limit and cut off beyond them, with the reason said.
- ``WHOIS_SERVER`` (host:port) receives every query instead of the real servers.

Known shortcoming: port-43 queries do not go through ``OUTBOUND_PROXY`` (an HTTP or
SOCKS proxy would need a tunnel per connection); they leave from the worker itself.
"""

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from investigations.errors import PermanentError, TransientError

from .. import platforms, ratelimit
from ..addresses import connect_checked
from ..registration.whois_words import find_retry_after, is_throttled
from ..streams import read_bounded

WHOIS_PORT = 43
IANA_SERVER = "whois.iana.org"
REGISTRY_CACHE_SECONDS = 24 * 3600
_QUERY_FORMATS = {
    "whois.verisign-grs.com": "domain {}",
    "whois.denic.de": "-T dn,ace {}",
    "whois.jprs.jp": "{}/e",
}
_REFERRAL = re.compile(
    r"^\s*(?:Registrar WHOIS Server|Whois Server|ReferralServer|refer)\s*:\s*(\S+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_IANA_WHOIS = re.compile(r"^\s*whois:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_HOST_PORT = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9](?::\d{1,5})?$", re.IGNORECASE)


@dataclass
class WhoisAnswer:
    server: str  # the server meant (host or host:port), even when an override answered
    query: str
    body: bytes
    truncated: bool = False
    fetched_at: datetime = field(default_factory=timezone.now)

    @property
    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return self.body.decode("latin-1")  # older registries answer in Latin-1

    @property
    def url(self) -> str:
        return f"whois://{self.server}/{self.query}"


def split_server(server: str) -> tuple[str, int]:
    """``host`` or ``host:port`` as (host, port), port 43 by default."""
    host, _, port = server.rpartition(":")
    if not host or not port.isdigit() or ":" in host:
        return server, WHOIS_PORT
    return host, int(port)


def referral_server(text: str, asked: str) -> str | None:
    """The registrar's WHOIS server named in a registry's answer, when it is another."""
    for match in _REFERRAL.finditer(text):
        value = match.group(1).lower().removeprefix("whois://").removeprefix("rwhois://")
        value = value.rstrip("/")
        if value.startswith("http") or not _HOST_PORT.match(value):
            continue
        if split_server(value)[0] != split_server(asked)[0]:
            return value
    return None


class WhoisClient:
    def __init__(
        self,
        *,
        override: str | None = None,
        timeout: float = 10.0,
        total_timeout: float = 30.0,
        max_bytes: int = 256 * 1024,
        on_answer: Callable[[WhoisAnswer], None] | None = None,
    ):
        self.override = override
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.on_answer = on_answer

    def ask(self, server: str, query: str) -> WhoisAnswer:
        """One query. Each server is a platform of its own (``whois:<host>``): the query
        waits for that server's turn, and a server that says it is throttling us is
        paused for every worker."""
        platform = platforms.member(platforms.WHOIS, split_server(server)[0])
        with ratelimit.slot(platform, lease_seconds=self.total_timeout + 30):
            body, truncated = self._exchange(server, query)
        answer = WhoisAnswer(server=server, query=query, body=body, truncated=truncated)
        if is_throttled(answer.text):
            seconds = find_retry_after(answer.text) or settings.RATE_LIMIT_DEFAULT_PAUSE
            ratelimit.pause(platform, seconds, "the server answered with a rate-limit text")
        if self.on_answer:
            self.on_answer(answer)
        return answer

    def _exchange(self, server: str, query: str) -> tuple[bytes, bool]:
        host, port = split_server(self.override or server)
        started = time.monotonic()
        # WHOIS_SERVER comes from settings: trusted, and it may be on a private address.
        # A server named by IANA or a referral is checked like any address from an answer.
        allow_private = True if self.override else None
        sock, _ = connect_checked(host, port, timeout=self.timeout, allow_private=allow_private)
        try:
            sock.sendall(query.encode("idna" if not query.isascii() else "ascii") + b"\r\n")
            return self._read(sock, server, started)
        except TimeoutError as exc:
            raise TransientError(
                f"The WHOIS server {server} did not answer within {self.timeout:.0f} s"
            ) from exc
        except OSError as exc:
            raise TransientError(f"The WHOIS server {server} broke off: {exc}") from exc
        finally:
            sock.close()

    def _read(self, sock: socket.socket, server: str, started: float) -> tuple[bytes, bool]:
        return read_bounded(
            lambda: sock.recv(4096),
            sock,
            started=started,
            timeout=self.timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_bytes,
            what=f"the WHOIS server {server}",
        )

    def registry_server(self, domain: str) -> str:
        """The WHOIS server of the domain's TLD, as IANA names it."""
        tld = domain.rstrip(".").rsplit(".", 1)[-1].lower()
        key = f"whois:registry:{tld}"
        server = cache.get(key)
        if server:
            return server
        answer = self.ask(IANA_SERVER, tld)
        match = _IANA_WHOIS.search(answer.text)
        if not match:
            raise PermanentError(f"IANA names no WHOIS server for .{tld}")
        server = match.group(1).lower()
        cache.set(key, server, REGISTRY_CACHE_SECONDS)
        return server

    def query_for(self, server: str, domain: str) -> str:
        return _QUERY_FORMATS.get(split_server(server)[0], "{}").format(domain)
