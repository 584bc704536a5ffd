"""Redirects are followed by hand: another origin must be public and gets no credentials."""

import time

import pytest

from investigations.errors import PermanentError, TransientError
from replay.http import ReplayServer, Reply
from scraping.http import HttpClient


class Scripted(ReplayServer):
    def __init__(self):
        super().__init__()
        self.routes: dict[str, Reply] = {}

    def handle(self, request):
        return self.routes.get(request.path, Reply(404, "no"))


@pytest.fixture
def servers():
    first, second = Scripted().start(), Scripted().start()
    yield first, second
    first.stop()
    second.stop()


def test_a_redirect_to_an_internal_address_is_refused(servers, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    first, second = servers
    first.routes["/start"] = Reply(302, "", {"location": f"{second.url}/latest/meta-data/"})
    second.routes["/latest/meta-data/"] = Reply(200, "secret")

    with pytest.raises(
        PermanentError, match="resolves to 127.0.0.1, a private, loopback or link-local address"
    ):
        HttpClient().get(f"{first.url}/start")

    assert second.requests == []


def test_a_redirect_within_the_same_origin_is_followed_with_credentials(servers, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    first, _ = servers
    first.routes["/repos/old/name"] = Reply(301, "", {"location": "/repositories/42"})
    first.routes["/repositories/42"] = Reply(200, '{"id": 42}')

    response = HttpClient().get(
        f"{first.url}/repos/old/name", headers={"Authorization": "Bearer t"}
    )

    assert (response.status, response.url) == (200, f"{first.url}/repositories/42")
    assert first.requests[1].headers["authorization"] == "Bearer t"


def test_credentials_never_follow_a_redirect_to_another_origin(servers, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True  # both servers are on loopback
    first, second = servers
    first.routes["/a"] = Reply(307, "", {"location": f"{second.url}/b"})
    second.routes["/b"] = Reply(200, "ok")

    response = HttpClient().get(
        f"{first.url}/a", headers={"Authorization": "Bearer t", "Accept": "x/y"}
    )

    assert response.body == b"ok"
    assert "authorization" not in second.requests[0].headers
    assert second.requests[0].headers["accept"] == "x/y"


def test_a_redirect_loop_ends_with_a_clear_error(servers, settings):
    first, _ = servers
    first.routes["/loop"] = Reply(302, "", {"location": "/loop"})

    with pytest.raises(PermanentError, match="More than 5 redirects"):
        HttpClient().get(f"{first.url}/loop")


def test_an_answer_that_drips_in_is_cut_off_at_the_total_time_limit():
    """A byte now and then keeps every read short of its own timeout; the total limit
    still ends the answer, with a clear error, instead of the task's time limit."""
    with Scripted() as server:
        server.routes["/drip"] = Reply(200, b"x" * 100_000, chunk_delay=0.2)
        client = HttpClient(connect_timeout=1.0, read_timeout=1.0, total_timeout=1.5)
        started = time.monotonic()
        with pytest.raises(TransientError, match=r"was still arriving after 2 s; cut off"):
            client.get(server.url + "/drip")
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
