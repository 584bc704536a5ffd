"""Shared fixtures. The tests run against the real PostgreSQL and Redis named by
DATABASE_URL, CELERY_BROKER_URL and REDIS_URL (scripts/test sets them)."""

import pytest
from django.core.cache import cache
from django.db import connection

from investigations.tasking import JobContext
from replay.github.server import GitHubReplay

from .factories import InvestigationFactory, JobFactory, TargetFactory


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}:{db.get('PORT') or ''}/{db['NAME']}",
        f"broker: {settings.CELERY_BROKER_URL}",
        f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} "
        f"{settings.CACHES['default']['LOCATION'].rsplit('@', 1)[-1]}",
    ]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Validators and cached answers must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _requires_postgresql(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", (
            "The tests run against PostgreSQL: set DATABASE_URL (scripts/test does)."
        )


@pytest.fixture
def github_replay(settings):
    """A GitHub replay server, with the product pointed at it."""
    with GitHubReplay() as server:
        settings.GITHUB_API_URL = server.url
        settings.GITHUB_TOKEN = None
        settings.GITHUB_STATS_BASE_DELAY = 0.01
        yield server


@pytest.fixture
def investigation(db):
    return InvestigationFactory()


@pytest.fixture
def make_context(db):
    """A job context for calling a collection service directly, as its task would."""

    def make(target=None, *, investigation=None, source="github"):
        if target is not None:
            investigation = target.investigation
        investigation = investigation or InvestigationFactory()
        job = JobFactory(investigation=investigation, target=target, name=source)
        return JobContext(
            investigation.pk, job.pk, target.pk if target else None, None, source=source
        )

    return make


@pytest.fixture
def make_target(db):
    def make(kind: str, value: str, **kwargs):
        return TargetFactory(kind=kind, value=value, **kwargs)

    return make


@pytest.fixture
def mastodon_replay(settings):
    """Every Mastodon instance answered by one replay server."""
    from replay.mastodon.server import MastodonReplay

    with MastodonReplay() as server:
        settings.MASTODON_URL_OVERRIDE = server.url
        yield server


@pytest.fixture
def dns_replay(settings):
    """A loopback DNS server answering the replay zones, as the product's resolver and
    as every domain's name server, with short waits and a short wordlist."""
    from replay.dns.server import DnsReplay

    with DnsReplay() as server:
        settings.DNS_RESOLVERS = [server.address]
        settings.DNS_NAMESERVER_OVERRIDE = server.address
        # Short enough that the zone which never answers costs little, long enough that a
        # busy CI machine does not turn an answer into a timeout.
        settings.DNS_TIMEOUT = 0.5
        settings.DNS_LIFETIME = 1.2
        settings.DNS_BRUTEFORCE_TIMEOUT = 0.5
        settings.DNS_BRUTEFORCE_ATTEMPTS = 3
        settings.DNS_TRANSFER_TIMEOUT = 2.0
        settings.SUBDOMAIN_WORDLIST = "top-5000"
        settings.SUBDOMAIN_WORDLIST_SIZE = 300
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def bluesky_replay(settings):
    from replay.bluesky.server import BlueskyReplay

    with BlueskyReplay() as server:
        settings.BLUESKY_API_URL = server.url
        yield server


@pytest.fixture
def eager_celery(settings):
    """Tasks run in this process as they are sent, without a broker."""
    from celery import current_app

    settings.OSINT_TASK_RETRY_BASE_DELAY = 0.01
    current_app.conf.task_always_eager = True
    current_app.conf.task_eager_propagates = True
    yield
    current_app.conf.task_always_eager = False
    current_app.conf.task_eager_propagates = False


@pytest.fixture
def ct_replay(settings):
    """A crt.sh-style certificate search on loopback, with the product pointed at it."""
    from replay.ct.server import CtReplay

    with CtReplay() as server:
        settings.CT_URL = server.url
        yield server


@pytest.fixture
def whois_replay(settings):
    """A WHOIS server on loopback with the recorded texts, the product pointed at it."""
    from replay.whois.server import WhoisReplay

    with WhoisReplay() as server:
        settings.WHOIS_SERVER = server.address
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def rdap_replay(settings):
    from replay.rdap.server import RdapReplay

    with RdapReplay() as server:
        settings.RDAP_URL = server.url
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def web_replay(settings):
    from replay.web.server import WebReplay

    with WebReplay() as server:
        settings.WEB_URL_OVERRIDE = server.url
        settings.ALLOW_PRIVATE_ADDRESSES = True
        yield server


@pytest.fixture
def domain_world(dns_replay, ct_replay, rdap_replay, whois_replay, web_replay):
    """Every server a domain analysis asks, on loopback."""
    return {
        "dns": dns_replay,
        "ct": ct_replay,
        "rdap": rdap_replay,
        "whois": whois_replay,
        "web": web_replay,
    }


@pytest.fixture
def sent(monkeypatch):
    """Tasks that would be queued, captured instead of sent to the broker (and nothing
    queued, so nothing to revoke)."""
    from investigations import celery_control

    calls = []
    monkeypatch.setattr(celery_control, "send", lambda name, **kw: calls.append((name, kw)))
    monkeypatch.setattr(celery_control, "revoke", lambda *a, **k: None)
    return calls
