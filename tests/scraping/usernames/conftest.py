import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from replay.sites.server import SiteSimulation, Truth
from scraping.usernames.checker import UsernameChecker
from scraping.usernames.manifest import site_from_dict
from scraping.usernames.transport import SiteTransport, run_loop


def run_apart(coroutine):
    """Run a coroutine on a new loop of the kind a run has (uvloop), in a thread of its
    own: the test's thread may have a loop running already (Playwright's sync API keeps
    one for the whole session)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_loop, coroutine).result()


def make_site(site_id: str, detect: dict, **extra):
    data = {
        "name": site_id.title(),
        "home": f"https://{site_id}.example/",
        "profile": f"https://{site_id}.example/u/{{username}}",
        "detect": detect,
        "tags": ["social"],
        "claimed": "someone",
        **extra,
    }
    return site_from_dict(site_id, data)


@pytest.fixture
def simulate():
    """Start a one-port site simulation for some sites, where ``present`` names exist."""
    started = []

    def start(sites, present=(), **options):
        truth = Truth()
        for name in present:
            truth.add(name)
        simulation = SiteSimulation(sites, truth=truth, **options).start()
        started.append(simulation)
        return simulation

    yield start
    for simulation in started:
        simulation.stop()


@pytest.fixture
def checker_for():
    def make(simulation, *, concurrency=50, site_timeout=2.0, run_timeout=30.0, **options):
        transport = SiteTransport(
            user_agent="osint-test/1.0",
            concurrency=concurrency,
            max_body_bytes=1024 * 1024,
            url_override=simulation.url,
            proxy=options.pop("proxy", None),
        )
        return UsernameChecker(
            transport, site_timeout=site_timeout, run_timeout=run_timeout, **options
        )

    return make


class KeepAliveSite:
    """A site on loopback that answers every request 404 after ``delay`` and keeps the
    connection open; ``open`` counts the connections the client has not closed yet, and
    ``seen`` holds (accepted at, first request at) for each connection."""

    def __init__(self, delay: float = 0.0):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.delay = delay
        self.open = 0
        self.seen: list[list[float]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        times = [time.monotonic()]
        with self.lock:
            self.open += 1
            self.seen.append(times)
        with conn:
            while data := conn.recv(65536):
                if b"\r\n\r\n" in data:
                    times.append(time.monotonic())
                    time.sleep(self.delay)
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnone")
        with self.lock:
            self.open -= 1

    def close(self):
        self.listener.close()


def site_at(site_id: str, url: str):
    return site_from_dict(
        site_id,
        {
            "name": site_id,
            "home": f"{url}/",
            "profile": f"{url}/u/{{username}}",
            "detect": {"method": "status"},
            "tags": ["social"],
        },
    )
