"""Hostile sites against the username checker's own HTTP client (wire.py, connections.py,
transport.py, time_limits.py).

Each site here is a raw TCP server on 127.0.0.1 that says exactly the bytes a test gives
it, on a thread of its own, so that it can drip, flood, reset or lie about its framing
while the checker's event loop runs. What the product promises whatever a site sends: a
clear "unknown" with the reason for that site, never "found" out of a broken answer, the
other sites' checks unharmed, time and memory bounded, nothing collected lost.

A test whose docstring says "Bug:" shows a fault these attacks found, and fails until the
product is mended; the others show a defence that holds.
"""

import asyncio
import gzip
import logging
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import psutil
import pytest

from investigations.models import Evidence
from scraping.services.social import usernames
from scraping.usernames.checker import InMemoryControlMemory, UsernameChecker
from scraping.usernames.detection import CheckState, Reason
from scraping.usernames.transport import SiteTransport, run_loop
from scraping.usernames.wire import AnswerReader, BadAnswer

from ..pinned_hosts import write_certificates
from .conftest import make_site

STATUS = make_site("statusy", {"method": "status"})
TEXT = make_site("texty", {"method": "text", "missing_text": ["Sorry, no such member"]})
JSON = make_site("jsony", {"method": "json", "field": "taken", "missing": [False]})
MISSING_PAGE = b"<html><body>" + b"." * 5000 + b"<p>Sorry, no such member</p></body></html>"
BROKE_HTTP = "the site's answer broke HTTP: "


# -- a site that says what it is told -----------------------------------------------------


class Peer:
    """One accepted connection, seen from the hostile site's side."""

    def __init__(self, server: "HostileServer", sock: socket.socket):
        self.server = server
        self.sock = sock
        self._buffer = b""

    def request(self) -> bytes | None:
        """The next request's head (no request here has a body); None once the client
        has closed the connection."""
        while b"\r\n\r\n" not in self._buffer:
            data = self.sock.recv(65536)
            if not data:
                return None
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        self.server.requests.append(head)
        return head

    @staticmethod
    def host(head: bytes) -> str:
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"x-original-host":
                return value.strip().decode()
        return ""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def drip(self, data: bytes, every: float) -> None:
        """One byte at a time, ``every`` seconds apart, until the test ends."""
        for byte in data:
            if self.server.stopped.wait(every):
                return
            self.sock.sendall(bytes([byte]))

    def hold(self) -> None:
        """Keep the connection open, saying nothing more, until the test ends."""
        self.server.stopped.wait(10)

    def reset(self) -> None:
        """End with a TCP reset, not a clean close."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class HostileServer:
    def __init__(self, behave, *, tls: ssl.SSLContext | None = None):
        self.behave = behave
        self.tls = tls
        self.requests: list[bytes] = []
        self.accepted = 0
        self.stopped = threading.Event()
        self._socks: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._socks.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.behave(Peer(self, sock))
        except (OSError, ValueError):
            pass  # the client went away, as it may
        finally:
            sock.close()

    def stop(self) -> None:
        self.stopped.set()
        self._listener.close()
        for sock in self._socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def hostile():
    started = []

    def start(behave, **options) -> HostileServer:
        server = HostileServer(behave, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def at(server):
    """What checker_for needs: the address every site's requests are sent to."""
    return SimpleNamespace(url=server.url)


def answering(*answers: bytes):
    """A site that answers each request, on whichever connection it comes, with the
    next of ``answers``; then holds the connection."""
    left = list(answers)

    def behave(peer: Peer) -> None:
        while peer.request() is not None:
            try:
                answer = left.pop(0)  # one step, as connections may ask at once
            except IndexError:
                break
            peer.send(answer)
        peer.hold()

    return behave


def client_connections(port: int) -> list:
    """This process's own open TCP connections to ``port`` (the client's ends)."""
    return [
        c
        for c in psutil.Process().net_connections("tcp")
        if c.raddr and c.raddr.port == port and c.status != psutil.CONN_TIME_WAIT
    ]


def reader_for(head: bytes, *, limit: int = 1024 * 1024) -> AnswerReader:
    reader = AnswerReader(head_only=False, limit=limit)
    assert reader.feed(head) is None
    return reader


CHUNKED_200 = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


# -- time: a site that never ends its answer ----------------------------------------------------


@pytest.mark.parametrize(
    "behave",
    [
        pytest.param(
            lambda p: (p.request(), p.drip(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 99, 0.02)),
            id="head",
        ),
        pytest.param(
            lambda p: (
                p.request(),
                p.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
                p.drip(b"a" * 1000, 0.02),
            ),
            id="body",
        ),
        pytest.param(
            lambda p: (p.request(), p.send(CHUNKED_200), p.drip(b"1\r\na\r\n" * 200, 0.005)),
            id="chunks",
        ),
        pytest.param(lambda p: (p.request(), p.hold()), id="silence"),
    ],
)
def test_an_answer_dripping_one_byte_at_a_time_ends_at_the_site_timeout(
    hostile, checker_for, behave
):
    server = hostile(behave)

    started = time.monotonic()
    result = checker_for(at(server), site_timeout=0.3).check("alice", [STATUS])[0]
    took = time.monotonic() - started

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.TIMEOUT)
    assert result.detail == "no full answer within 0.3 s"
    assert took < 0.8


def test_an_endless_trailer_section_is_cut_off_and_the_other_sites_are_still_answered(
    hostile, checker_for
):
    """After its last chunk a site sends trailer lines without end, as fast as the link
    takes them. Bug: the trailer section has no bound (the header block has 64 KB), and
    each line read copies the rest of the buffer (wire.py _line), so every read of the
    socket holds the event loop for a long while: the other sites' answers wait behind
    it until their own time is up, and the site timeout and run timeout both overrun
    (a 1 s site timeout took 9 s when tried by hand). The flood stops after 3 s here."""
    flooded = threading.Event()
    sites = [STATUS] + [make_site(f"calm{n}", {"method": "status"}) for n in range(5)]
    lines = b"X-Trailer: y\r\n" * (256 * 1024 // 14)

    def behave(peer: Peer) -> None:
        head = peer.request()
        if peer.host(head) == "statusy.example":
            peer.send(CHUNKED_200 + b"0\r\n" + lines)
            flooded.set()
            until = time.monotonic() + 3
            while time.monotonic() < until and not peer.server.stopped.is_set():
                peer.send(lines)
        else:
            flooded.wait(5)
            peer.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        peer.hold()

    server = hostile(behave)
    started = time.monotonic()
    results = checker_for(at(server), site_timeout=0.5, run_timeout=2.0).check("alice", sites)
    took = time.monotonic() - started

    assert results[0].state == CheckState.UNKNOWN
    assert [(r.state, r.reason) for r in results[1:]] == [
        (CheckState.NOT_FOUND, Reason.MISSING_STATUS)
    ] * 5
    assert took < 1.0


def test_trailer_fields_are_bounded_as_the_header_block_is():
    """Bug: wire.py reads trailer lines after the last chunk for as long as they come."""
    reader = reader_for(CHUNKED_200)

    with pytest.raises(BadAnswer):
        reader.feed(b"0\r\n" + b"X-Trailer: y\r\n" * (100 * 1024 // 14))


def _feeding_time(data: bytes) -> float:
    reader = reader_for(CHUNKED_200)
    started = time.perf_counter()
    reader.feed(data)
    return time.perf_counter() - started


def test_reading_many_small_chunks_takes_time_in_proportion_to_their_number():
    """Bug: each chunk read slices the rest of the buffer off anew (wire.py _read_chunks
    and _line), so one socket read full of tiny chunks costs its size squared: 256 KB of
    1-byte chunks held the loop for 0.4 s here. Eight times the chunks must cost about
    eight times as long, not sixty-four; a ratio, so that a slow machine does not decide."""
    small = min(_feeding_time(b"1\r\na\r\n" * 5_000) for _ in range(3))
    large = _feeding_time(b"1\r\na\r\n" * 40_000)

    assert large / small < 24, f"8x the chunks took {large / small:.0f}x the time"


def test_a_body_of_one_byte_chunks_takes_memory_near_its_limit_not_many_times_it():
    """Bug: wire.py keeps each chunk's bytes as an object of its own in a list (_keep)
    and joins them at the end: a body of 1-byte chunks costs some 90 bytes of memory a
    byte, so a 1 MB body limit let one site hold 93 MB (measured with tracemalloc), and
    the limit bounds nothing a site that means harm cares about."""
    limit = 16 * 1024
    reader = reader_for(CHUNKED_200, limit=limit)
    piece = b"1\r\na\r\n" * 100
    tracemalloc.start()
    try:
        while (answer := reader.feed(piece)) is None:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert answer.truncated and len(answer.body) == limit
    assert peak < 16 * limit, f"a {limit // 1024} KB body took {peak / 1e6:.1f} MB"


def test_bytes_trickling_into_a_long_header_block_cost_little_each():
    """A site sends 63 KB of header lines at once, then one byte at a time. Bug: each
    byte makes wire.py copy the whole buffer and search it for the blank line from its
    start again (AnswerReader.feed, _read_head), most of a millisecond each here: one
    such site keeps the event loop busy for its whole site timeout."""
    reader = reader_for(b"HTTP/1.1 200 OK\r\n" + b"X-Filler: yyyyyyyy\r\n" * 3150)

    started = time.perf_counter()
    for _ in range(500):
        reader.feed(b"y")
    took = time.perf_counter() - started

    assert took < 0.05, f"500 bytes took {took:.2f} s to read"


def test_an_endless_header_block_is_a_broken_answer_at_once(hostile, checker_for):
    server = hostile(answering(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20_000))

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail == BROKE_HTTP + "the header block is over 65536 bytes"
    assert result.elapsed < 0.5


# -- framing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 11, "more than 10 interim answers"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "not an HTTP/1 status line: b'PRI * HTTP/2.0'"),
        (b"HTTP/2 200\r\n\r\n", "not an HTTP/1 status line: b'HTTP/2 200'"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "not an HTTP/1 status line"),
        (CHUNKED_200 + b"-5\r\nabc\r\n0\r\n\r\n", "unreadable chunk size: b'-5'"),
        (CHUNKED_200 + b"1ffffffffffffffff\r\n", "unreadable chunk size"),
        (CHUNKED_200 + b"3\r\nabcdef\r\n0\r\n\r\n", "a chunk is longer than its size line says"),
        (CHUNKED_200 + b"3;" + b"x" * 5000, "a chunk line is over 4096 bytes"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "unreadable Content-Length: '3, 4'",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "unreadable Content-Length: '-1'"),
        (b"HTTP/1.1 200 OK\r\n folded\r\n\r\n", "the header block starts with a folded line"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
            "the body's gzip coding is broken",
        ),
    ],
)
def test_an_answer_that_breaks_http_is_unknown_with_what_broke(hostile, checker_for, answer, why):
    server = hostile(answering(answer))

    result = checker_for(at(server), control_checks=False).check("alice", [TEXT])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail.startswith(BROKE_HTTP + why), result.detail


def test_ten_interim_answers_are_read_past(hostile, checker_for):
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    server = hostile(answering(early * 10 + b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert (result.state, result.status) == (CheckState.NOT_FOUND, 404)


@pytest.mark.parametrize(
    ("behave", "detail"),
    [
        (lambda p: None, "the site closed the connection before answering"),
        (
            lambda p: (p.request(), p.send(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nabc")),
            "the site closed the connection in the middle of its answer",
        ),
        (
            lambda p: (
                p.request(),
                p.send(b"HTTP/1.1 200 OK\r\nContent-Le"),
                time.sleep(0.05),
                p.reset(),
            ),
            "the site closed the connection in the middle of its answer",
        ),
    ],
    ids=["at-once", "short-of-its-length", "reset-in-the-head"],
)
def test_a_connection_that_ends_early_is_unknown(hostile, checker_for, behave, detail):
    server = hostile(behave)

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail == f"could not reach the site: Disconnected: {detail}"


def _cut_once_then_whole(cut, end=None):
    """A close-delimited "no such member" page: the first connection sends its first
    1000 bytes, then ``cut`` ends the connection abruptly; later ones (the control
    check's) send it whole, then ``end`` closes cleanly. A flaky link, or a site that
    means to."""
    connections = []

    def behave(peer: Peer) -> None:
        connections.append(peer)
        if peer.request() is None:
            return
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
        if len(connections) == 1:
            peer.send(head + MISSING_PAGE[:1000])
            time.sleep(0.05)  # the client has read those bytes before the end comes
            cut(peer)
        else:
            peer.send(head + MISSING_PAGE)
            if end is not None:
                end(peer)

    return behave


def test_a_connection_reset_before_a_close_delimited_body_ends_is_unknown_never_found(
    hostile, checker_for
):
    """A body read to the connection's end (no length, not chunked) is whole only when
    the site closes the connection cleanly. Bug: connections.py connection_lost completes
    the answer whatever the loss was, so a reset after the first 1000 bytes reads as the
    whole page, the "no such member" text further down is never seen, and the site is
    "found" (its control check, answered whole, passes)."""
    server = hostile(_cut_once_then_whole(Peer.reset))

    result = checker_for(at(server)).check("alice", [TEXT])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert "in the middle of its answer" in result.detail


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory):
    """A server context with a certificate for localhost, and a client one trusting it."""
    folder = tmp_path_factory.mktemp("tls")
    authority = write_certificates(folder, "localhost")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return server, ssl.create_default_context(cafile=str(authority))


def _tls_checker(server: HostileServer, client_tls: ssl.SSLContext, **options) -> UsernameChecker:
    transport = SiteTransport(
        user_agent="osint-test/1.0",
        concurrency=10,
        max_body_bytes=1024 * 1024,
        url_override=f"https://localhost:{server.port}",
        tls=client_tls,
    )
    return UsernameChecker(transport, site_timeout=1.0, run_timeout=3.0, **options)


def test_a_tls_answer_cut_off_without_close_notify_is_unknown_never_found(hostile, tls_pair):
    """RFC 9112, 9.8: a body with neither length nor chunks is complete over TLS only
    once the close_notify alert came; without it anyone on the path could have cut it.
    Bug: the TCP end with no alert (connection_lost with no eof_received before it)
    completes the answer as a clean close would, and the cut page reads as "found"."""
    server_tls, client_tls = tls_pair
    server = hostile(
        _cut_once_then_whole(
            lambda peer: peer.sock.shutdown(socket.SHUT_RDWR),  # TCP's end, no TLS alert
            lambda peer: peer.sock.unwrap(),  # close_notify: the body is whole
        ),
        tls=server_tls,
    )

    result = _tls_checker(server, client_tls).check("alice", [TEXT])[0]

    assert result.state == CheckState.UNKNOWN
    assert result.reason == Reason.CONNECTION_ERROR


def test_a_tls_answer_closed_with_close_notify_is_read_whole(hostile, tls_pair):
    server_tls, client_tls = tls_pair

    def behave(peer: Peer) -> None:
        if peer.request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + MISSING_PAGE)
            peer.sock.unwrap()

    server = hostile(behave, tls=server_tls)

    result = _tls_checker(server, client_tls).check("alice", [TEXT])[0]

    assert (result.state, result.reason) == (CheckState.NOT_FOUND, Reason.MISSING_TEXT)


def test_plain_http_bytes_on_an_https_address_are_unknown(hostile, checker_for):
    server = hostile(lambda p: (p.sock.recv(4096), p.send(b"HTTP/1.1 200 OK\r\n\r\nfound!")))

    url = server.url.replace("http://", "https://")
    result = checker_for(SimpleNamespace(url=url)).check("alice", [STATUS])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail.startswith("could not reach the site: SSLError")


@pytest.mark.parametrize(
    "value",
    ["\u00b2", "\u0663", "9" * 5000],
    ids=["superscript-two", "arabic-indic-three", "5000-digits"],
)
def test_an_unreadable_content_length_is_a_broken_answer(hostile, checker_for, caplog, value):
    """RFC 9110: Content-Length = 1*DIGIT, ASCII digits. Bug: wire.py _content_length
    tests str.isdigit(), true of '²' and '٣' and of a 5000-digit number, then int()
    either reads '٣' as 3 or raises a ValueError that is not a BadAnswer: it escapes
    data_received, asyncio logs "Fatal error on transport" with its traceback at ERROR,
    and the result blames the site for closing the connection."""
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\nabc".encode()
    server = hostile(answering(head))

    with caplog.at_level(logging.ERROR):
        result = checker_for(at(server), control_checks=False).check("alice", [STATUS])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail.startswith(BROKE_HTTP + "unreadable Content-Length")
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


@pytest.mark.parametrize("size", [b"0x3", b"+3", b"0_3"])
def test_a_chunk_size_is_hex_digits_and_nothing_else(size):
    """RFC 9112: chunk-size = 1*HEXDIG. Bug: wire.py reads it with int(size, 16), which
    also takes a 0x prefix, a sign and underscores; an intermediary that reads the size
    otherwise sees another end of the body, the ground response smuggling is built on."""
    reader = reader_for(CHUNKED_200)

    with pytest.raises(BadAnswer):
        reader.feed(size + b"\r\nabc\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
    ids=["length-and-chunked", "http-1.0-chunked"],
)
def test_an_answer_framed_two_ways_does_not_leave_its_connection_open(head):
    """RFC 9112, 6.1 and 6.3: an HTTP/1.0 answer with Transfer-Encoding MUST be taken as
    faultily framed and its connection closed after it; one with both Transfer-Encoding
    and Content-Length may be a smuggling attempt and ought to be handled as an error.
    Bug: wire.py reads both as chunked and keeps the connection for the next request."""
    reader = AnswerReader(head_only=False, limit=1000)

    answer = reader.feed(head + chunked(b"abc"))

    assert answer is None or not answer.reusable


def test_a_raw_deflate_body_whose_first_piece_is_one_byte_is_read_whole():
    """Bug: when zlib data turns out to be raw deflate data (wire.py _decode), the retry
    gets only the piece in hand; the bytes given to the first decoder are lost, and a
    good answer whose first chunk held one byte reads as broken."""
    page = b"<html><body>a profile page</body></html>" * 10
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = packer.compress(page) + packer.flush()
    reader = reader_for(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
    )

    answer = reader.feed(chunked(data[:1], data[1:]))

    assert answer is not None and answer.body == page


# -- bodies: codings, limits, what the detection reads ------------------------------------------


def _bomb(wbits: int, size: int = 16 * 1024 * 1024) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(1024 * 1024)
    return b"".join([packer.compress(zeros) for _ in range(size // len(zeros))] + [packer.flush()])


@pytest.mark.parametrize(
    ("coding", "wbits"),
    [("gzip", zlib.MAX_WBITS | 16), ("deflate", zlib.MAX_WBITS), ("deflate", -zlib.MAX_WBITS)],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_a_compression_bomb_is_cut_at_the_body_limit(hostile, checker_for, coding, wbits):
    data = _bomb(wbits)
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {len(data)}\r\n\r\n"
    server = hostile(answering(head.encode() + data))

    result = checker_for(at(server), control_checks=False).check("alice", [STATUS])[0]

    assert result.truncated and len(result.body) == 64 * 1024  # a status test's limit
    assert result.elapsed < 0.5


def test_a_gzip_body_that_stops_short_of_its_end_is_unknown_never_found(hostile, checker_for):
    """The framing is right (Content-Length matches what is sent), but the gzip stream
    in it stops halfway. Bug: wire.py _finish flushes the decoder without asking whether
    its stream ended (decompressobj.eof), so half a "no such member" page is the page, and
    the site is "found"."""
    half = gzip.compress(MISSING_PAGE)[: len(gzip.compress(MISSING_PAGE)) // 2]
    whole = gzip.compress(MISSING_PAGE)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
    server = hostile(answering(head % len(half) + half, head % len(whole) + whole))

    result = checker_for(at(server)).check("alice", [TEXT])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert result.detail.startswith(BROKE_HTTP)


def test_a_missing_text_split_across_chunks_and_gzip_pieces_is_still_seen(hostile, checker_for):
    packed = gzip.compress(MISSING_PAGE)
    cut = MISSING_PAGE.index(b"no such") + 3
    pieces = [MISSING_PAGE[:cut], MISSING_PAGE[cut:]]
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
    plain = head + b"\r\n" + chunked(*pieces)
    zipped = (
        head
        + b"Content-Encoding: gzip\r\n\r\n"
        + chunked(*[packed[i : i + 7] for i in range(0, len(packed), 7)])
    )
    server = hostile(answering(plain, zipped))

    results = [checker_for(at(server)).check("alice", [TEXT])[0] for _ in range(2)]

    assert [(r.state, r.reason) for r in results] == [
        (CheckState.NOT_FOUND, Reason.MISSING_TEXT)
    ] * 2


def test_json_nested_past_the_recursion_limit_is_not_json_not_an_internal_failure(
    hostile, checker_for, caplog
):
    """Bug: detection.py _json_verdict catches ValueError only; json.loads raises
    RecursionError on 100 000 opening brackets, the check fails on an "unexpected error"
    logged at ERROR, and the analyst reads a connection error."""
    body = b"[" * 100_000
    server = hostile(answering(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body))

    with caplog.at_level(logging.ERROR):
        result = checker_for(at(server)).check("alice", [JSON])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.UNEXPECTED_ANSWER)
    assert result.detail == "HTTP 200: the answer is not JSON"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- connections: what is kept for the next request --------------------------------------------


def _two_fetches(server: HostileServer, pause: float = 0.0, method: str = "GET"):
    async def fetch_twice():
        transport = SiteTransport(
            user_agent="osint-test/1.0", concurrency=4, max_body_bytes=1000, allow_private=True
        )
        async with transport.opened():
            first = await transport.fetch(method, server.url + "/u/alice")
            await asyncio.sleep(pause)
            second = await transport.fetch("GET", server.url + "/u/bob")
            return first, second

    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, as a run has
        return pool.submit(run_loop, fetch_twice()).result()


FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nFORGED"
REAL_404 = b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nREAL"


@pytest.mark.parametrize(
    ("first_answer", "method"),
    [
        pytest.param(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + FORGED,
            "GET",
            id="after-it-in-the-same-write",
        ),
        pytest.param(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nab" + FORGED,
            "GET",
            id="past-its-content-length",
        ),
        pytest.param(
            b"HTTP/1.1 204 No Content\r\nContent-Length: 6\r\n\r\nFORGED",
            "GET",
            id="a-body-on-a-204",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n" + FORGED,
            "HEAD",
            id="a-body-on-a-head-answer",
        ),
    ],
)
def test_bytes_past_a_whole_answer_never_answer_the_next_request(hostile, first_answer, method):
    calls = []

    def each_connection(peer: Peer) -> None:
        calls.append(peer)
        # The first connection would answer a second request with the forged answer.
        answering(first_answer, FORGED)(peer) if len(calls) == 1 else answering(REAL_404)(peer)

    server = hostile(each_connection)

    first, second = _two_fetches(server, method=method)

    assert not first.reusable
    assert b"FORGED" not in first.body
    assert (second.status, second.body) == (404, b"REAL")
    assert server.accepted == 2


def test_bytes_arriving_on_an_idle_connection_close_it(hostile):
    calls = []

    def behave(peer: Peer) -> None:
        calls.append(peer)
        if peer.request() is None:
            return
        if len(calls) == 1:
            peer.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            time.sleep(0.05)
            peer.send(FORGED)  # while the connection waits in the pool
            if peer.request() is not None:
                peer.send(FORGED)
        else:
            peer.send(REAL_404)
        peer.hold()

    server = hostile(behave)

    first, second = _two_fetches(server, pause=0.2)

    assert first.reusable  # as far as its own bytes went
    assert (second.status, second.body) == (404, b"REAL")
    assert server.accepted == 2


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        b"javascript:alert(1)",
        b"file:///etc/passwd",
        b"data:text/html,found",
        b"http://[::1",
        b"https://statusy.example:0/u/alice",
        b"https://statusy.example:65536/u/alice",
        b"https://statusy.example:99999/u/alice",
        b"https://stat usy.example/u/alice",
        b"https://statusy.example%0d%0a/u/alice",
        b"https://statusy.example\r/u/alice",
        "https://\u017ftatusy.example/u/alice".encode(),
        b"https://statusy.example\xff/u/alice",
        b"https://evil.example\\@statusy.example/u/alice",
        b"//127.0.0.1:1/u/alice",
        b"/u/alice\xff\xfe\x00",
    ],
)
def test_a_redirect_to_an_odd_place_is_never_found(hostile, checker_for, location):
    moved = b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
    server = hostile(
        answering(moved, *[b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"] * 5)
    )

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert result.state != CheckState.FOUND, result.detail
    assert result.reason in (
        Reason.REDIRECTED,
        Reason.MISSING_STATUS,
        Reason.CONNECTION_ERROR,
    ), result.detail


def test_a_location_with_invalid_utf8_is_followed_with_its_bytes_escaped(hostile, checker_for):
    moved = b"HTTP/1.1 301 Moved\r\nLocation: /u/alice/\xff\xfe\r\nContent-Length: 0\r\n\r\n"
    server = hostile(answering(moved, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert (result.state, result.status) == (CheckState.NOT_FOUND, 404)
    assert server.requests[1].startswith(b"GET /u/alice/%FF%FE HTTP/1.1\r\n")


# -- what is kept: headers and details on their way to the database ---------------------------


def test_header_values_with_nul_and_invalid_utf8_are_kept_with_escapes(hostile, checker_for):
    server = hostile(
        answering(b"HTTP/1.1 404 Not Found\r\nX-Odd: a\x00b\xffc\r\nContent-Length: 0\r\n\r\n")
    )

    result = checker_for(at(server)).check("alice", [STATUS])[0]

    assert (result.state, result.headers["x-odd"]) == (CheckState.NOT_FOUND, "a\x00b\udcffc")


@pytest.mark.django_db
def test_a_retry_after_with_nul_and_invalid_utf8_is_recorded_not_fatal(
    hostile, checker_for, make_target, make_context
):
    """The 429 detail quotes the site's Retry-After as it came (detection.py judge), and
    the evidence's error field takes that detail unclean (investigations record_evidence
    cleans the headers only). Bug: PostgreSQL refuses the NUL and psycopg the lone
    surrogate, so writing the run's results fails and everything collected is lost."""
    server = hostile(
        answering(b"HTTP/1.1 429 Too Many\r\nRetry-After: 5\x00\xff\r\nContent-Length: 0\r\n\r\n")
    )
    results = checker_for(at(server)).check("alice", [STATUS])
    target = make_target("username", "alice")
    ctx = make_context(target, source=usernames.SOURCE)

    summary = usernames.record_results(ctx, "alice", results)

    assert summary["unknown"] == 1
    evidence = Evidence.objects.get(investigation=target.investigation, source=usernames.SOURCE)
    assert evidence.error.startswith("unknown: HTTP 429: rate limited, retry after 5")
    assert "\x00" not in evidence.error


# -- where a site's name points --------------------------------------------------------------


@pytest.mark.django_db
def test_a_site_whose_name_points_at_a_private_address_is_not_asked(settings, hostile):
    """A site decides where its name points (a lapsed domain bought by someone else, a
    rebinding DNS answer). The platform's guard (scraping/addresses.py) refuses loopback,
    private and metadata addresses unless ALLOW_PRIVATE_ADDRESSES. Bug: the username
    checks resolve and connect with no such check (transport.PooledResolver, connections
    .Connector), so the answer of whatever listens there is kept as evidence."""
    settings.ALLOW_PRIVATE_ADDRESSES = False
    settings.SITE_URL_OVERRIDE = None
    settings.OUTBOUND_PROXY = None
    settings.USERNAME_SITE_TIMEOUT, settings.USERNAME_RUN_TIMEOUT = 0.5, 2.0
    server = hostile(
        answering(
            b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsecrets",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",  # the control check's
        )
    )
    inside = make_site(
        "inside", {"method": "status"}, profile=f"http://localhost:{server.port}/u/{{username}}"
    )

    result = usernames.build_checker(InMemoryControlMemory()).check("alice", [inside])[0]

    assert result.state == CheckState.UNKNOWN
    assert server.requests == []


# -- many sites, deadlines, the pool ----------------------------------------------------------


def test_misbehaving_sites_leave_the_others_answered_right(hostile, checker_for):
    calm = [make_site(f"calm{n}", {"method": "status"}) for n in range(30)]
    present = {f"calm{n}.example" for n in range(0, 30, 3)}
    bad = {
        "reset.example": lambda p: (p.send(b"HTTP/1.1 200 OK\r\n"), time.sleep(0.02), p.reset()),
        "drip.example": lambda p: p.drip(b"HTTP/1.1 200 OK\r\n" * 100, 0.05),
        "garbage.example": lambda p: p.send(b"\x00\xff" * 1000),
        "h2.example": lambda p: p.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        "forged.example": lambda p: p.send(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + FORGED * 3
        ),
        "closer.example": lambda p: None,
    }

    def behave(peer: Peer) -> None:
        while (head := peer.request()) is not None:
            host = peer.host(head)
            if host in bad:
                bad[host](peer)
                return
            found = host in present and b"/u/alice " in head
            peer.send(
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                if found
                else b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
            )

    server = hostile(behave)
    sites = [make_site(host.split(".")[0], {"method": "status"}) for host in bad] + calm

    results = checker_for(at(server), site_timeout=0.4, concurrency=8).check("alice", sites)

    # The forged site's own first answer was a whole 404; the rest of its bytes are dropped.
    assert [r.state for r in results[: len(bad)]] == [
        CheckState.NOT_FOUND if host == "forged.example" else CheckState.UNKNOWN for host in bad
    ]
    assert [r.state for r in results[len(bad) :]] == [
        CheckState.FOUND if n % 3 == 0 else CheckState.NOT_FOUND for n in range(30)
    ]


def test_the_run_deadline_closes_every_connection_left_mid_answer(hostile, checker_for):
    def behave(peer: Peer) -> None:
        if peer.request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            peer.drip(b"a" * 100000, 0.01)

    server = hostile(behave)
    sites = [make_site(f"slow{n}", {"method": "status"}) for n in range(20)]

    started = time.monotonic()
    results = checker_for(at(server), site_timeout=5.0, run_timeout=0.4).check("alice", sites)
    took = time.monotonic() - started

    assert {(r.state, r.reason) for r in results} == {(CheckState.UNKNOWN, Reason.RUN_DEADLINE)}
    assert took < 0.8
    assert client_connections(server.port) == []


def test_the_pool_never_holds_more_connections_than_its_bound(hostile, checker_for):
    def behave(peer: Peer) -> None:
        if peer.request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\n")
            peer.drip(b"a" * 10, 0.01)  # 0.1 s an answer, so they pile up

    server = hostile(behave)
    sites = [make_site(f"site{n}", {"method": "status"}) for n in range(24)]
    peak = {"open": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak["open"] = max(peak["open"], len(client_connections(server.port)))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        results = checker_for(at(server), concurrency=6, control_checks=False).check("alice", sites)
    finally:
        done.set()
        watcher.join()

    assert {r.state for r in results} == {CheckState.FOUND}, [
        r.detail for r in results if r.state != CheckState.FOUND
    ]
    # Checks in flight hold at most 6; checks waiting for a place may have theirs opened
    # ahead, up to as many again (connections.py).
    assert 1 <= peak["open"] <= 2 * 6
    assert client_connections(server.port) == []


def test_a_request_on_a_kept_connection_the_site_dropped_is_sent_again_on_a_new_one(hostile):
    """A site may close a kept-alive connection whenever it likes (RFC 9112, 9.3); a
    GET it dropped unanswered is sent again (transport.fetch). Bug: the second attempt
    asks the pool again, which hands back the next idle connection to the same place,
    as stale as the first: the check ends "closed before answering" although the site
    answers every new connection. Two sites on one host, or every plain-HTTP site behind
    the HTTP outbound proxy (one key for all), keep several idle connections that way."""

    def behave(peer: Peer) -> None:
        if peer.request() is None:
            return
        peer.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        peer.request()  # the connection's second request is never answered

    server = hostile(behave)

    async def fetches():
        transport = SiteTransport(
            user_agent="osint-test/1.0", concurrency=4, max_body_bytes=1000, allow_private=True
        )
        async with transport.opened():
            # Two at once: two connections, both kept idle after their answers.
            await asyncio.gather(
                transport.fetch("GET", server.url + "/u/a"),
                transport.fetch("GET", server.url + "/u/b"),
            )
            return await transport.fetch("GET", server.url + "/u/c")

    with ThreadPoolExecutor(max_workers=1) as pool:
        third = pool.submit(run_loop, fetches()).result()

    assert third.status == 404
    assert server.accepted == 3


def test_a_socks_proxy_that_never_answers_costs_the_site_timeout_and_no_socket(
    hostile, checker_for
):
    proxy = hostile(lambda p: p.hold())  # takes the SOCKS greeting, says nothing
    site = make_site("proxied", {"method": "status"}, profile="https://127.0.0.1:9/u/{username}")
    transport = SiteTransport(
        user_agent="osint-test/1.0",
        concurrency=10,
        max_body_bytes=1024,
        proxy=f"socks5://127.0.0.1:{proxy.port}",
        allow_private=True,  # the site is on loopback, as the proxy is
    )
    checker = UsernameChecker(transport, site_timeout=0.3, run_timeout=2.0)

    result = checker.check("alice", [site])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.TIMEOUT)
    assert client_connections(proxy.port) == []
