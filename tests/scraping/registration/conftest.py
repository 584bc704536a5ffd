import pytest

from replay.rdap.server import RdapReplay
from replay.whois.server import WhoisReplay


@pytest.fixture
def whois_replay(settings):
    """A WHOIS server on loopback with the recorded texts, the product pointed at it."""
    with WhoisReplay() as server:
        settings.WHOIS_SERVER = server.address
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def rdap_replay(settings):
    with RdapReplay() as server:
        settings.RDAP_URL = server.url
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def domain_context(make_context, make_target):
    def make(domain: str):
        target = make_target("domain", domain)
        return make_context(target, source="domain")

    return make
