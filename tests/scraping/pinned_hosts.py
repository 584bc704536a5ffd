"""Test support for the pinned connections: a resolver that rebinds, and ports that record
who connects (plain, through SOCKS5, or over TLS with a test authority). Everything stays
on loopback: 127.0.0.2 stands in for a public address (the tests declare it public),
127.0.0.1 for the private one a rebinding name turns to."""

import datetime as dt
import http.server
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from replay.http import ReplayServer, Reply
from scraping import addresses

PUBLIC_STAND_IN = "127.0.0.2"
PRIVATE = "127.0.0.1"
_REAL_GETADDRINFO = socket.getaddrinfo


class RebindingResolver:
    """``socket.getaddrinfo`` that answers each name of ``answers`` with its addresses in
    turn (the last one from then on) and leaves every other host to the real resolver."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.asked: Counter[str] = Counter()

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return _REAL_GETADDRINFO(host, port, *args, **kwargs)
        given = self.answers[host]
        ip = given[min(self.asked[host], len(given) - 1)]
        self.asked[host] += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]


def rebind(monkeypatch, settings, name: str) -> RebindingResolver:
    """The guard on (without a proxy), the public stand-in declared public, and ``name``
    answering the stand-in to the first question and 127.0.0.1 after."""
    settings.ALLOW_PRIVATE_ADDRESSES = False
    settings.OUTBOUND_PROXY = None
    monkeypatch.setattr(addresses, "is_public", lambda ip: ip == PUBLIC_STAND_IN)
    resolver = RebindingResolver({name: [PUBLIC_STAND_IN, PRIVATE]})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


class _TcpServer:
    """A TCP port served one connection at a time by ``serve(conn)``, on a thread."""

    def __init__(self, host: str, port: int = 0):
        self.sock = socket.create_server((host, port))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    self.serve(conn)
                except OSError:
                    continue

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


class Listener(_TcpServer):
    """A TCP port that counts the connections made to it and closes each at once."""

    connections = 0

    def serve(self, conn: socket.socket) -> None:
        self.connections += 1


class Answering(ReplayServer):
    """Answers every request with 200 and ``ok``."""

    def handle(self, request):
        return Reply(200, "ok")

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def close(self) -> None:
        self.stop()


def pair_on_one_port(make_public, attempts: int = 20):
    """A server made by ``make_public(host)`` on the public stand-in and a ``Listener`` on
    the same port of the private address, which must never see a connection."""
    for _ in range(attempts):
        public = make_public(PUBLIC_STAND_IN)
        try:
            return public, Listener(PRIVATE, public.port)
        except OSError:  # that port is taken on 127.0.0.1: try another
            public.close()
    raise RuntimeError("no port free on both loopback addresses")


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = conn.recv(size - len(data))
        if not piece:
            raise ConnectionResetError("the client went away")
        data += piece
    return data


class Socks5Proxy(_TcpServer):
    """A SOCKS5 proxy (no authentication) that records the destination each CONNECT
    names, as an address or as a name, and then answers one HTTP request itself."""

    def __init__(self):
        self.destinations: list[tuple[str, int]] = []
        super().__init__(PRIVATE)

    def serve(self, conn: socket.socket) -> None:
        _, methods = _read_exactly(conn, 2)
        _read_exactly(conn, methods)
        conn.sendall(b"\x05\x00")
        _, _, _, kind = _read_exactly(conn, 4)
        if kind == 1:
            host = socket.inet_ntop(socket.AF_INET, _read_exactly(conn, 4))
        elif kind == 4:
            host = socket.inet_ntop(socket.AF_INET6, _read_exactly(conn, 16))
        else:
            host = _read_exactly(conn, _read_exactly(conn, 1)[0]).decode("ascii")
        port = int.from_bytes(_read_exactly(conn, 2), "big")
        self.destinations.append((host, port))
        conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096) or b"\r\n\r\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def url(self, scheme: str) -> str:
        return f"{scheme}://{PRIVATE}:{self.port}"


def write_certificates(folder: Path, name: str) -> Path:
    """A CA (its certificate file returned) and a server certificate for ``name``, as
    ``server.pem`` and ``server.key`` in ``folder``."""
    now = dt.datetime.now(dt.UTC)

    def issue(subject, key, issuer, issuer_key, *, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = issue("Pinning Test CA", ca_key, "Pinning Test CA", ca_key, ca=True)
    server = issue(name, server_key, "Pinning Test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "ca.pem"


class TlsServer(NamedTuple):
    port: int
    ca: Path  # the test authority's certificate, which signed the server's
    names: list[str | None]  # the name each client sent in SNI, in order
    name: str  # the one name the server's certificate is good for


@contextmanager
def serving_tls(folder: Path, name: str) -> Iterator[TlsServer]:
    """An HTTPS server on 127.0.0.1 with a certificate for ``name`` that answers every GET
    with 200 and ``ok`` and records the names clients send in SNI."""
    ca = write_certificates(folder, name)
    names: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            return

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    context.sni_callback = lambda sock, sent, ctx: names.append(sent)
    server = http.server.ThreadingHTTPServer((PRIVATE, 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # A short poll: shutdown() waits for serve_forever's next look at it.
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield TlsServer(server.server_address[1], ca, names, name)
    finally:
        server.shutdown()
        server.server_close()
