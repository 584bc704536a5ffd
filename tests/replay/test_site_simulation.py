import socket
import time

import pytest

from replay.sites.server import SiteSimulation, Truth
from tests.scraping.usernames.conftest import make_site

SITE = make_site("statusy", {"method": "status"})


def exchange(sock: socket.socket, data: bytes, answers: int) -> list[bytes]:
    """Send ``data`` and read ``answers`` whole replies (each with a Content-Length)."""
    sock.sendall(data)
    replies, buffer = [], b""
    while len(replies) < answers:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            if len(rest) < length:
                break
            replies.append(head + b"\r\n\r\n" + rest[:length])
            buffer = rest[length:]
    return replies


def request(path: str, *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: statusy.example", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def simulation():
    truth = Truth()
    truth.add("alice")
    with SiteSimulation([SITE], truth=truth, per_site_ports=True, latency=0.2) as running:
        yield running


def test_requests_on_one_connection_are_answered_in_order_each_after_the_latency(simulation):
    with socket.create_connection(("127.0.0.1", simulation.ports["statusy"])) as sock:
        started = time.monotonic()
        # Both at once (pipelined), the first split across two writes.
        first = request("/u/alice")
        sock.sendall(first[:10])
        replies = exchange(sock, first[10:] + request("/u/bob"), answers=2)
        elapsed = time.monotonic() - started

    assert [r.split(b"\r\n")[0] for r in replies] == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 404 Not Found",
    ]
    assert b"Profile of alice" in replies[0]
    assert 0.4 <= elapsed < 2.0


def test_a_connection_asking_to_close_is_closed_after_its_answer(simulation):
    with socket.create_connection(("127.0.0.1", simulation.ports["statusy"])) as sock:
        replies = exchange(sock, request("/u/alice", "Connection: close"), answers=1)
        sock.settimeout(5)

        assert replies[0].startswith(b"HTTP/1.1 200 OK")
        assert sock.recv(1) == b""


def test_a_broken_request_gets_no_answer_and_the_connection_ends(simulation):
    with socket.create_connection(("127.0.0.1", simulation.ports["statusy"])) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET /u/alice HTTP/1.1\r\nContent-Length: many\r\n\r\n")

        assert sock.recv(1) == b""


def test_stopping_ends_connections_still_waiting_for_a_slow_answer():
    simulation = SiteSimulation([SITE], per_site_ports=True, latency=30).start()
    sock = socket.create_connection(("127.0.0.1", simulation.ports["statusy"]))
    sock.sendall(request("/u/alice"))
    time.sleep(0.1)
    started = time.monotonic()

    simulation.stop()

    sock.settimeout(5)
    try:
        assert sock.recv(1) == b""
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    assert time.monotonic() - started < 5
