"""Untrusted hosts through OUTBOUND_PROXY: a proxy that resolves names is left to do so
(only private addresses written out are refused here); socks5:// resolves on this side,
so it is handed the checked address."""

import pytest

from scraping.addresses import AddressRefused
from scraping.http import HttpClient

from .pinned_hosts import PRIVATE, PUBLIC_STAND_IN, Answering, Socks5Proxy, rebind

NAME = "rebind.test"


@pytest.fixture
def guarded(settings, monkeypatch):
    return rebind(monkeypatch, settings, NAME)


@pytest.fixture
def http_proxy(guarded, settings):
    with Answering() as proxy:
        settings.OUTBOUND_PROXY = proxy.url
        yield proxy


@pytest.fixture
def socks_proxy(settings):
    proxy = Socks5Proxy()
    yield proxy
    proxy.close()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::1]", "169.254.169.254", "2130706433", "127.1", "localhost", "a.localhost"],
)
def test_through_a_proxy_a_private_address_written_out_is_refused_before_the_proxy_is_asked(
    guarded, http_proxy, host
):
    with pytest.raises(AddressRefused, match="refused"):
        HttpClient().get(f"http://{host}:8080/latest/meta-data/", untrusted=True)

    assert http_proxy.requests == []


def test_through_a_proxy_that_resolves_names_the_name_is_left_to_it(guarded, http_proxy):
    response = HttpClient().get(f"http://{NAME}/profile", untrusted=True)

    assert (response.status, response.body) == (200, b"ok")
    assert http_proxy.requests[0].headers["host"] == NAME
    assert guarded.asked[NAME] == 0


@pytest.mark.parametrize(
    ("scheme", "destination", "resolved_here"),
    [("socks5h", NAME, 0), ("socks5", PUBLIC_STAND_IN, 1)],
)
def test_socks5h_is_handed_the_name_and_socks5_resolving_here_the_checked_address(
    guarded, socks_proxy, settings, scheme, destination, resolved_here
):
    settings.OUTBOUND_PROXY = socks_proxy.url(scheme)

    response = HttpClient().get(f"http://{NAME}/profile", untrusted=True)

    assert response.body == b"ok"
    assert socks_proxy.destinations == [(destination, 80)]
    assert guarded.asked[NAME] == resolved_here


def test_socks5_resolving_here_refuses_a_name_of_a_private_address_unconnected(
    guarded, socks_proxy, settings
):
    settings.OUTBOUND_PROXY = socks_proxy.url("socks5")
    guarded.answers["private.test"] = [PRIVATE]

    with pytest.raises(AddressRefused, match="private.test resolves to 127.0.0.1"):
        HttpClient().get("http://private.test/", untrusted=True)

    assert socks_proxy.destinations == []
