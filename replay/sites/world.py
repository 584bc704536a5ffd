"""The site simulation as the replay world starts it for the demo and the tests: every
manifest site on one port, a demo name present on a quarter of the sites, and a few
well-known sites behaving as they do to scrapers."""

import hashlib

from scraping.usernames.manifest import Site, load_sites

from .behaviour import Scenario
from .server import SiteSimulation, Truth

DEMO_USERNAME = "alexdemo42"
# Sites showing what real sites do to scrapers, so a demo run shows "unknown" answers.
DEMO_SCENARIOS = {
    "instagram": Scenario.LOGIN_REDIRECT,  # walled: a login redirect is "unknown"
    "twitter": Scenario.WAF,
    "reddit": Scenario.RATE_LIMITED,
    "pastebin": Scenario.SLOW,
}
# Longer than the per-site timeout the world sets (USERNAME_SITE_TIMEOUT).
SLOW_SECONDS = 8.0
SITE_TIMEOUT = 4.0


def demo_sites_for(username: str, sites: list[Site], share: int = 4) -> list[str]:
    """A stable pseudo-random share of the sites, the same on every run."""
    return [
        s.id
        for s in sites
        if int(hashlib.sha256(f"{username}:{s.profile}".encode()).hexdigest(), 16) % share == 0
    ]


def demo_simulation() -> SiteSimulation:
    sites = load_sites()
    truth = Truth()
    truth.add(DEMO_USERNAME, demo_sites_for(DEMO_USERNAME, sites))
    simulation = SiteSimulation(sites, truth=truth, slow_seconds=SLOW_SECONDS, keep_log=False)
    for site_id, scenario in DEMO_SCENARIOS.items():
        simulation.set_scenario(site_id, scenario)
    return simulation
