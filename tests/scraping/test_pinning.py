"""Untrusted hosts are reached only at the address the guard checked (DNS rebinding)."""

import socket

import pytest
import requests

from investigations.errors import TransientError
from replay.http import ReplayServer, Reply
from scraping import addresses
from scraping.addresses import AddressRefused
from scraping.clients.mastodon import MastodonClient, Resolution
from scraping.clients.rdap import RdapClient
from scraping.http import HttpClient
from scraping.pinning import PinnedAdapter

from .pinned_hosts import (
    PRIVATE,
    Answering,
    Listener,
    RebindingResolver,
    pair_on_one_port,
    rebind,
)

NAME = "rebind.test"


@pytest.fixture
def rebinding(monkeypatch, settings):
    return rebind(monkeypatch, settings, NAME)


@pytest.fixture
def answering():
    """An HTTP server at the public stand-in, and a listener on the same port of
    127.0.0.1 that must see no connection."""
    public, private = pair_on_one_port(lambda host: Answering(host).start())
    yield public, private
    public.close()
    private.close()


@pytest.fixture
def listening():
    """Like ``answering``, for clients that speak TLS: both only count connections."""
    public, private = pair_on_one_port(Listener)
    yield public, private
    public.close()
    private.close()


def test_an_untrusted_host_is_reached_at_the_address_that_was_checked(rebinding, answering):
    public, private = answering

    response = HttpClient().get(f"http://{NAME}:{public.port}/profile", untrusted=True)

    assert (response.status, response.body) == (200, b"ok")
    assert [r.path for r in public.requests] == ["/profile"]
    assert private.connections == 0
    assert rebinding.asked[NAME] == 1


class Redirecting(ReplayServer):
    def __init__(self, location: str):
        super().__init__()
        self.location = location

    def handle(self, request):
        return Reply(302, "", {"Location": self.location})


def test_a_redirect_to_a_name_that_rebinds_after_the_check_never_reaches_the_private_address(
    rebinding, answering
):
    public, private = answering

    with Redirecting(f"http://{NAME}:{public.port}/next") as first:
        # The first server is configured (trusted) although it is on loopback.
        response = HttpClient().get(f"{first.url}/start")

    assert (response.status, response.body) == (200, b"ok")
    assert [r.path for r in public.requests] == ["/next"]
    assert private.connections == 0


@pytest.mark.django_db  # the host's limits are read from the database
def test_a_mastodon_instance_that_rebinds_is_only_reached_at_the_checked_address(
    rebinding, listening
):
    public, private = listening
    instance = f"{NAME}:{public.port}"

    with pytest.raises(TransientError):  # the listener speaks no TLS
        MastodonClient().lookup(Resolution("alice", instance, instance))

    assert (public.connections, private.connections) == (1, 0)
    assert rebinding.asked[NAME] == 1


@pytest.mark.django_db  # the host's limits are read from the database
def test_an_rdap_server_named_by_a_registry_is_only_reached_at_the_checked_address(
    rebinding, listening
):
    public, private = listening

    with pytest.raises(TransientError):  # the listener speaks no TLS
        RdapClient().get(f"https://{NAME}:{public.port}/domain/example.com", "example.com")

    assert (public.connections, private.connections) == (1, 0)


def test_an_untrusted_host_that_resolves_to_a_private_address_is_refused_unconnected(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    with Answering().start() as server:
        with pytest.raises(
            AddressRefused, match="resolves to 127.0.0.1, a private, loopback or link-local"
        ):
            HttpClient().get(f"{server.url}/", untrusted=True)

        assert server.requests == []


def test_configured_hosts_stay_trusted_and_allow_private_addresses_lets_untrusted_ones_pass(
    settings,
):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    with Answering().start() as server:
        trusted = HttpClient().get(f"{server.url}/enterprise-api")
        settings.ALLOW_PRIVATE_ADDRESSES = True
        untrusted = HttpClient().get(f"{server.url}/instance", untrusted=True)

        assert [r.path for r in server.requests] == ["/enterprise-api", "/instance"]
    assert trusted.status == untrusted.status == 200


def _pinned_session() -> requests.Session:
    session = requests.Session()
    session.mount("https://", PinnedAdapter())
    return session


@pytest.mark.parametrize("name", ["pinned.test", "other.test"])
def test_a_pinned_connection_sends_the_host_name_in_sni_and_verifies_the_certificate_for_it(
    tls_server, monkeypatch, settings, name
):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(addresses, "is_public", lambda ip: ip == PRIVATE)
    resolver = RebindingResolver({name: [PRIVATE]})
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port, ca, names = tls_server.port, tls_server.ca, tls_server.names
    url = f"https://{name}:{port}/"

    if name == "pinned.test":
        assert _pinned_session().get(url, verify=str(ca), timeout=5).text == "ok"
    else:
        with pytest.raises(requests.exceptions.SSLError, match="other.test"):
            _pinned_session().get(url, verify=str(ca), timeout=5)

    assert names == [name]
    assert resolver.asked[name] == 1
