"""Each username site is a platform of its own (``site:<id>``) whose limits all workers
share: a run takes its turns in one step, and paused or exhausted sites are not asked."""

import pytest

from replay.sites.behaviour import Scenario
from scraping import ratelimit
from scraping.models import PlatformLimit
from scraping.services.social.usernames import SiteTurns
from scraping.usernames.detection import CheckState, Reason

from .conftest import make_site

pytestmark = pytest.mark.usefixtures("fresh_limits")


SITES = [
    make_site("calm", {"method": "status", "missing_status": []}),
    make_site("paused", {"method": "status", "missing_status": []}),
    make_site("strict", {"method": "status", "missing_status": []}),
    make_site("throttling", {"method": "status", "missing_status": []}),
]


@pytest.mark.django_db
def test_username_sites_keep_their_own_limits_across_runs(settings, simulate, checker_for):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "site": (50.0, 5, 0)}
    PlatformLimit.objects.create(platform="site:strict", requests_per_second=0.05, burst=1)
    ratelimit.pause("site:paused", 120, "HTTP 429 with Retry-After")
    simulation = simulate(SITES, present=["alice"])
    simulation.set_scenario("throttling", Scenario.RATE_LIMITED)

    turns = SiteTurns(SITES)
    checker = checker_for(simulation, site_timeout=1.0, run_timeout=3.0, turns=turns)
    first = {r.site.id: r for r in checker.check("alice", SITES)}
    second = {r.site.id: r for r in checker.check("bob", SITES)}

    assert first["calm"].state == CheckState.FOUND
    assert first["calm"].control.startswith("passed")  # its control check had a turn
    assert first["strict"].state == CheckState.FOUND
    assert first["strict"].control.startswith("not run: the site's next free turn is")
    # One turn in 20 s: the second run's would come after its 3 s deadline.
    assert (second["strict"].state, second["strict"].reason) == (
        CheckState.UNKNOWN,
        Reason.RATE_LIMITED,
    )
    assert "next free turn is" in second["strict"].detail
    assert not second["strict"].requested
    for run in (first, second):
        assert run["paused"].state == CheckState.UNKNOWN
        assert run["paused"].detail.startswith("not asked: the site is paused for")
    assert simulation.requests_for("paused") == []
    assert len(simulation.requests_for("strict")) == 1
    # The site that answered 429 with Retry-After is paused for every worker after the
    # first run, so the second did not ask it.
    assert first["throttling"].reason == Reason.RATE_LIMITED and first["throttling"].requested
    assert not second["throttling"].requested
    assert len(simulation.requests_for("throttling")) == 1
    assert ratelimit.state("site:throttling").paused_until is not None


@pytest.mark.django_db
def test_a_control_turn_no_check_used_is_given_back(settings, simulate, checker_for):
    """A run takes a second turn where a control check may follow; when the name is not
    found there is no control check, and the turn goes back to the site's bucket."""
    lean = make_site("lean", {"method": "status", "missing_status": []})
    PlatformLimit.objects.create(platform="site:lean", requests_per_second=0.05, burst=2)
    simulation = simulate([lean], present=["alice"])
    checker = checker_for(simulation, site_timeout=1.0, run_timeout=3.0, turns=SiteTurns([lean]))

    first = checker.check("bob", [lean])[0]
    second = checker.check("carol", [lean])[0]

    assert first.state == second.state == CheckState.NOT_FOUND
    # Two turns in 40 s: the second run had one only because the first gave one back.
    assert second.requested and len(simulation.requests_for("lean")) == 2
