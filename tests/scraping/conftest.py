import pytest

from scraping import ratelimit

from .pinned_hosts import serving_tls


@pytest.fixture
def fresh_limits(settings):
    """Limits read afresh at the start and end of a test, then kept for its length."""
    settings.RATE_LIMIT_CACHE_SECONDS = 60.0
    ratelimit.forget_cached_limits()
    yield
    ratelimit.forget_cached_limits()


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for ``pinned.test`` from a test
    authority; records the names clients send in SNI."""
    with serving_tls(tmp_path, "pinned.test") as server:
        yield server
