import pytest

from scraping import ratelimit


@pytest.fixture
def fresh_limits(settings):
    """Limits read afresh at the start and end of a test, then kept for its length."""
    settings.RATE_LIMIT_CACHE_SECONDS = 60.0
    ratelimit.forget_cached_limits()
    yield
    ratelimit.forget_cached_limits()
