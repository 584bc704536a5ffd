"""A run's turns are taken on the calling thread while its loop, on a thread of its own,
already opens the first sites' connections (checker.start, handoff.py)."""

import asyncio
import threading
import time
from dataclasses import dataclass

import pytest

from scraping.usernames.checker import UsernameChecker
from scraping.usernames.detection import CheckState
from scraping.usernames.handoff import Handoff
from scraping.usernames.transport import SiteTransport

from .conftest import KeepAliveSite, run_apart, site_at


def test_a_value_given_before_the_loop_waits_is_taken_at_once():
    handoff = Handoff()
    handoff.give("turns")

    assert run_apart(handoff.taken()) == "turns"


def test_a_value_given_from_another_thread_wakes_the_waiting_loop():
    handoff = Handoff()
    threading.Timer(0.1, handoff.give, args=("turns",)).start()

    started = time.monotonic()
    taken = run_apart(asyncio.wait_for(handoff.taken(), timeout=5))

    assert taken == "turns"
    assert 0.05 < time.monotonic() - started < 2


def test_an_error_given_is_raised_on_the_loop():
    handoff = Handoff()
    handoff.give(error=ConnectionError("the store is down"))

    with pytest.raises(ConnectionError, match="the store is down"):
        run_apart(handoff.taken())


def test_giving_after_the_loop_has_ended_is_harmless():
    handoff = Handoff()

    async def give_up():
        await asyncio.wait_for(handoff.taken(), timeout=0.01)

    with pytest.raises(TimeoutError):
        run_apart(give_up())
    handoff.give("late")  # the loop is closed: nothing to wake, nothing raised


@dataclass
class _Grant:
    state: str = "ok"
    wait: float = 0.0
    reason: str = ""


class _SlowTurns:
    """Turns that take ``seconds`` to come, as from a busy rate-limit store."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.granted_at = 0.0

    def reserve(self, site_ids, max_wait):
        time.sleep(self.seconds)
        self.granted_at = time.monotonic()
        return [_Grant() for _ in site_ids]

    def give_back(self, site_ids):
        pass

    def observe(self, results):
        pass


def test_the_first_sites_are_connected_while_their_turns_are_taken():
    servers = [KeepAliveSite() for _ in range(3)]
    sites = [site_at(f"site{n}", server.url) for n, server in enumerate(servers)]
    transport = SiteTransport(
        user_agent="osint-test/1.0", concurrency=10, max_body_bytes=1024, allow_private=True
    )
    turns = _SlowTurns(0.3)
    checker = UsernameChecker(transport, site_timeout=5, run_timeout=10, turns=turns)

    try:
        results = checker.check("alice", sites)
    finally:
        for server in servers:
            server.close()

    assert [r.state for r in results] == [CheckState.NOT_FOUND] * 3
    for server in servers:
        ((accepted, asked),) = server.seen  # one connection, made before the turn came
        assert accepted < turns.granted_at - 0.2
        assert asked >= turns.granted_at


def test_a_failure_to_take_the_turns_ends_the_run_and_is_raised():
    class Broken(_SlowTurns):
        def reserve(self, site_ids, max_wait):
            raise ConnectionError("the rate-limit store is down")

    server = KeepAliveSite()
    transport = SiteTransport(
        user_agent="osint-test/1.0", concurrency=10, max_body_bytes=1024, allow_private=True
    )
    checker = UsernameChecker(transport, site_timeout=5, run_timeout=10, turns=Broken(0))

    try:
        with pytest.raises(ConnectionError, match="store is down"):
            checker.check("alice", [site_at("site", server.url)])
        time.sleep(0.1)
        # Nothing was asked, and the connection opened ahead was let go.
        assert [len(times) for times in server.seen] in ([], [1])
        assert server.open == 0
    finally:
        server.close()
