import asyncio
import gc
import socket
import threading
from types import SimpleNamespace

import pytest
import uvloop

from scraping.usernames import transport
from scraping.usernames.checker import UsernameChecker
from scraping.usernames.detection import CheckState, Reason
from scraping.usernames.transport import PooledResolver, SiteTransport

from .conftest import KeepAliveSite, make_site, run_apart, site_at

STATUS = make_site("statusy", {"method": "status"})


def test_a_run_has_its_own_uvloop_event_loop(simulate, checker_for):
    simulation = simulate([STATUS], present=["alice"])
    loops = []
    checker = checker_for(
        simulation, on_result=lambda result: loops.append(asyncio.get_running_loop())
    )

    results = checker.check("alice", [STATUS])

    assert [r.state for r in results] == [CheckState.FOUND]
    assert isinstance(loops[0], uvloop.Loop)


@pytest.mark.parametrize("enabled_before", [True, False])
def test_garbage_collection_waits_while_checks_are_in_flight_and_is_restored_after(
    simulate, checker_for, enabled_before
):
    simulation = simulate([STATUS], present=["alice"])
    during = []
    checker = checker_for(simulation, on_result=lambda result: during.append(gc.isenabled()))
    if not enabled_before:
        gc.disable()
    try:
        checker.check("alice", [STATUS])
        after = gc.isenabled()
    finally:
        gc.enable()

    assert during == [False]
    assert after is enabled_before


def test_a_numeric_address_is_reached_without_any_name_lookup(simulate, checker_for, monkeypatch):
    looked_up = []
    original = PooledResolver.resolve

    async def spying(self, host, port):
        looked_up.append(host)
        return await original(self, host, port)

    monkeypatch.setattr(PooledResolver, "resolve", spying)
    simulation = simulate([STATUS], present=["alice"])
    by_number = checker_for(simulation).check("alice", [STATUS])[0]
    named = SimpleNamespace(url=simulation.url.replace("127.0.0.1", "localhost"))
    by_name = checker_for(named).check("alice", [STATUS])[0]

    assert (by_number.state, by_name.state) == (CheckState.FOUND, CheckState.FOUND)
    # 127.0.0.1 went straight to connect; "localhost" went through the run's resolver.
    assert looked_up == ["localhost"]


def test_name_lookups_of_a_run_are_under_way_at_once_not_queued(monkeypatch):
    hosts = [f"site{n}.example" for n in range(20)]
    arrived, release = [], threading.Event()
    lock = threading.Lock()

    def slow_lookup(host, port, family=0, type=0, proto=0, flags=0):
        with lock:
            arrived.append(host)
            if len(arrived) == len(hosts):
                release.set()
        # Each lookup waits for all the others: queued lookups would never all arrive.
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.7", port))]

    monkeypatch.setattr(transport.socket, "getaddrinfo", slow_lookup)

    async def resolve_all():
        resolver = PooledResolver()
        try:
            return await asyncio.gather(*(resolver.resolve(h, 443) for h in hosts))
        finally:
            await resolver.close()

    answers = run_apart(resolve_all())

    assert release.is_set()
    assert sorted(arrived) == sorted(hosts)
    assert answers[0] == [(socket.AF_INET, "192.0.2.7")]


def test_the_hosts_file_answers_for_localhost():
    async def resolve():
        resolver = PooledResolver()
        try:
            return await resolver.resolve("localhost", 8080)
        finally:
            await resolver.close()

    answers = run_apart(resolve())

    assert (socket.AF_INET, "127.0.0.1") in answers


def test_a_site_done_with_has_its_connection_closed_before_the_run_ends():
    site, other = KeepAliveSite(), KeepAliveSite()
    transport = SiteTransport(
        user_agent="osint-test/1.0", concurrency=10, max_body_bytes=1024, allow_private=True
    )

    async def run():
        async with transport.opened():
            await transport.fetch("GET", f"{site.url}/u/alice")
            await transport.fetch("GET", f"{other.url}/u/alice")
            transport.done_with(f"{site.url}/u/alice")
            await asyncio.sleep(0.2)
            return site.open, other.open

    try:
        during = run_apart(run())
    finally:
        site.close()
        other.close()

    # The site done with is let go at once; the other keeps its connection for a
    # control check until the run ends.
    assert during == (0, 1)


def test_checks_waiting_for_a_place_have_their_connection_opened_meanwhile():
    servers = [KeepAliveSite(delay=0.2) for _ in range(4)]
    sites = [site_at(f"site{n}", server.url) for n, server in enumerate(servers)]
    # Two in flight, two waiting: the pool's bound, twice the concurrency, admits both.
    transport = SiteTransport(
        user_agent="osint-test/1.0", concurrency=2, max_body_bytes=1024, allow_private=True
    )

    try:
        results = UsernameChecker(transport, site_timeout=5, run_timeout=10).check("alice", sites)
    finally:
        for server in servers:
            server.close()

    assert [r.state for r in results] == [CheckState.NOT_FOUND] * 4
    # One connection a site, and those that waited were connected long before asked.
    assert [len(server.seen) for server in servers] == [1, 1, 1, 1]
    for server in servers[2:]:
        (accepted, asked), *_ = server.seen
        assert asked - accepted > 0.15


def test_a_connection_opened_ahead_that_fails_leaves_the_check_its_own_error():
    closed = socket.create_server(("127.0.0.1", 0))
    nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    slow = KeepAliveSite(delay=0.2)
    sites = [site_at("slow", slow.url), site_at("gone", nobody)]
    transport = SiteTransport(
        user_agent="osint-test/1.0", concurrency=1, max_body_bytes=1024, allow_private=True
    )

    try:
        slow_result, gone = UsernameChecker(transport, site_timeout=5, run_timeout=10).check(
            "alice", sites
        )
    finally:
        slow.close()

    assert slow_result.state == CheckState.NOT_FOUND
    assert (gone.state, gone.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert "ConnectionRefusedError" in gone.detail
