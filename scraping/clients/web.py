"""Fetching a web site the way the guard demands: resolve once, check, connect to the
checked address, and keep to limits on size, redirects and time.

requests resolves names itself, so a name checked beforehand could resolve elsewhere
by the time it connects (DNS rebinding). Here every hop is resolved by the guard and
the socket is opened to the address that passed; TLS still names the site (SNI) and is
verified against it. A certificate that fails verification is recorded as such and the
page is still read, as a browser's user could choose to: the site is being examined,
not trusted.

``WEB_URL_OVERRIDE`` sends every fetch to one address instead; the site's host goes in
the Host header and the scheme that was meant in ``X-Forwarded-Proto``.

Known shortcoming: ``OUTBOUND_PROXY`` is not used for site fetches. A proxy resolves the
name itself, which would undo the guard's check; tunnelling to the checked address
(HTTP CONNECT to the IP) is the way to add it.
"""

import http.client
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID, NameOID
from django.utils import timezone

from investigations.errors import PermanentError, TransientError

from .. import platforms, ratelimit
from ..addresses import NoService, connect_checked
from ..streams import read_bounded

REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


@dataclass
class WebPage:
    url: str  # asked for
    final_url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False
    redirects: list[str] = field(default_factory=list)
    tls: dict[str, Any] | None = None
    address: str = ""  # the IP address the last hop connected to
    elapsed: float = 0.0
    fetched_at: datetime = field(default_factory=timezone.now)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self) -> str:
        charset = "utf-8"
        content_type = self.header("content-type") or ""
        if "charset=" in content_type.lower():
            charset = content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def certificate_summary(der: bytes) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(der)

    def name_of(name: x509.Name, oid) -> str:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        names = san.value.get_values_for_type(x509.DNSName)[:100]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": cert.subject.rfc4514_string()[:500],
        "subject_cn": name_of(cert.subject, NameOID.COMMON_NAME),
        "issuer": cert.issuer.rfc4514_string()[:500],
        "issuer_organization": name_of(cert.issuer, NameOID.ORGANIZATION_NAME),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "serial": format(cert.serial_number, "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "names": names,
    }


class WebFetcher:
    def __init__(
        self,
        *,
        override: str | None = None,
        user_agent: str = "osint-platform",
        timeout: float = 10.0,
        total_timeout: float = 30.0,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 5,
    ):
        self.override = urlsplit(override) if override else None
        self.user_agent = user_agent
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    def fetch(self, url: str) -> WebPage:
        started = time.monotonic()
        redirects: list[str] = []
        current = url
        while True:
            page = self._fetch_once(current, started)
            location = page.header("location")
            if page.status not in REDIRECTS or not location:
                page.url, page.redirects = url, redirects
                page.elapsed = time.monotonic() - started
                return page
            target = urljoin(current, location.strip())
            if urlsplit(target).scheme not in ("http", "https"):
                raise PermanentError(f"{current} redirects to {target[:200]}, not a web address")
            if len(redirects) >= self.max_redirects:
                raise PermanentError(
                    f"{url} redirected more than {self.max_redirects} times; stopped at {current}"
                )
            redirects.append(current)
            current = target

    def _fetch_once(self, url: str, started: float) -> WebPage:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PermanentError(f"Not a web address: {url[:200]}")
        host = parts.hostname.lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # Each site is a platform of its own (``web:<host>``): its turn first, and a
        # site that asks us to wait is paused for every worker.
        platform = platforms.member(platforms.WEB, host)
        with ratelimit.slot(platform, lease_seconds=self.total_timeout + 30):
            page = self._connect_and_exchange(url, parts, host, port, started)
        ratelimit.observe(platform, page.status, {k.lower(): v for k, v in page.headers})
        return page

    def _connect_and_exchange(self, url, parts, host: str, port: int, started: float) -> WebPage:
        if self.override:
            # The override comes from settings, not from a target: trusted, and it may be
            # an internal mirror or proxy on a private address.
            sock, address = self._connect(
                self.override.hostname or "", self.override.port or 80, started, trusted=True
            )
            tls = None
        else:
            sock, address = self._connect(host, port, started)
            tls = None
            if parts.scheme == "https":
                sock, tls = self._tls(sock, host)
        try:
            return self._exchange(sock, url, parts, host, port, started, tls, address.ip)
        finally:
            sock.close()

    def _connect(self, host: str, port: int, started: float, *, trusted: bool = False):
        remaining = self.total_timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise TransientError(f"No answer within {self.total_timeout:g} s")
        return connect_checked(
            host,
            port,
            timeout=min(self.timeout, remaining),
            allow_private=True if trusted else None,
        )

    def _tls(self, sock: socket.socket, host: str) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        """TLS to the checked address, naming the site. Verified when it can be; else
        read anyway with the failure recorded."""
        context = ssl.create_default_context()
        family, address = sock.family, sock.getpeername()
        try:
            secured = context.wrap_socket(sock, server_hostname=host)
            verified, error = True, ""
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            verified, error = False, exc.verify_message or str(exc)
            raw = socket.socket(family, socket.SOCK_STREAM)
            raw.settimeout(self.timeout)
            raw.connect(address)  # the same checked address, not a new resolution
            context = ssl._create_unverified_context()  # noqa: S323 - examined, not trusted
            secured = context.wrap_socket(raw, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise TransientError(f"TLS with {host} failed: {exc}") from exc
        der = secured.getpeercert(binary_form=True)
        summary: dict[str, Any] = {"version": secured.version(), "verified": verified}
        if error:
            summary["error"] = error[:300]
        if der:
            summary.update(certificate_summary(der))
        return secured, summary

    def _exchange(self, sock, url, parts, host, port, started, tls, ip) -> WebPage:
        connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        connection.sock = sock
        default_port = 443 if parts.scheme == "https" else 80
        headers = {
            "Host": host if port == default_port else f"{host}:{port}",
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "close",
        }
        if self.override:
            headers["X-Forwarded-Proto"] = parts.scheme
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body, truncated = self._read(response, sock, url, started)
        except TimeoutError as exc:
            raise TransientError(f"No answer from {url} within {self.timeout:g} s") from exc
        except http.client.RemoteDisconnected as exc:
            raise NoService(f"{url} closed the connection without answering") from exc
        except (http.client.HTTPException, OSError) as exc:
            raise TransientError(f"The answer from {url} broke off: {type(exc).__name__}") from exc
        headers_out = [(k, v) for k, v in response.getheaders()]
        return WebPage(
            url=url,
            final_url=url,
            status=response.status,
            headers=headers_out,
            body=body,
            truncated=truncated,
            tls=tls,
            address=ip,
        )

    def _read(self, response, sock, url: str, started: float) -> tuple[bytes, bool]:
        encoding = (response.getheader("content-encoding") or "").lower().strip()
        decoder = None
        if encoding in ("gzip", "x-gzip"):
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decoder = zlib.decompressobj()

        def decode(chunk: bytes, room: int) -> bytes:
            if decoder is None:
                return chunk
            try:
                # Bounded: a small compressed body must not unfold into gigabytes.
                return decoder.decompress(chunk, room)
            except zlib.error as exc:
                raise PermanentError(f"The answer from {url} has a broken {encoding} body") from exc

        return read_bounded(
            lambda: response.read1(_CHUNK),
            sock,
            started=started,
            timeout=self.timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_bytes,
            what=url,
            transform=decode,
        )
