import pytest


@pytest.fixture
def domain_context(make_context, make_target):
    def make(domain: str):
        target = make_target("domain", domain)
        return make_context(target, source="domain")

    return make
