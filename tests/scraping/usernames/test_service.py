import pytest

from investigations.models import Entity, Evidence, Relationship
from replay.sites.behaviour import Scenario
from scraping.services.social import usernames
from scraping.usernames.manifest import load_sites, select_sites

SITES = ["github", "gitlab", "reddit", "twitter", "instagram", "discord"]


@pytest.fixture
def world(settings, simulate):
    sites = select_sites(load_sites(), ids=SITES)
    simulation = simulate(sites, present=[])
    simulation.truth.add("alexdemo42", ["github", "gitlab", "discord"])
    simulation.set_scenario("twitter", Scenario.WAF)
    simulation.set_scenario("instagram", Scenario.LOGIN_REDIRECT)
    settings.SITE_URL_OVERRIDE = simulation.url
    settings.USERNAME_SITES = SITES
    return simulation


@pytest.mark.django_db
def test_a_username_run_writes_accounts_links_and_evidence_for_every_site(
    world, make_target, make_context
):
    target = make_target("username", "alexdemo42")
    ctx = make_context(target, source=usernames.SOURCE)

    result = usernames.enumerate_username(ctx, "alexdemo42")

    assert (result["sites"], result["found"], result["not_found"], result["unknown"]) == (
        6,
        3,
        1,
        2,
    )
    accounts = Entity.objects.filter(investigation=target.investigation, kind="account")
    assert sorted(accounts.values_list("key", flat=True)) == [
        "discord:alexdemo42",
        "github:alexdemo42",
        "gitlab:alexdemo42",
    ]
    name = Entity.objects.get(investigation=target.investigation, kind="username")
    assert name.attributes["unknown_on"] == {
        "instagram": "HTTP 302: the site shows profiles only after a login",
        "twitter": "HTTP 403: Cloudflare browser challenge",
    }
    links = Relationship.objects.filter(source=name, kind="has_account")
    assert links.count() == 3
    evidence = Evidence.objects.filter(investigation=target.investigation, source="username_sites")
    checked = {e.url for e in evidence}
    assert "https://www.github.com/alexdemo42" in checked
    probes = {s.probe_url("alexdemo42") for s in select_sites(load_sites(), ids=SITES)}
    assert probes <= checked
    # One per site, and one per control check of the three sites that said "found".
    assert evidence.count() == 6 + 3
    reddit = evidence.get(url="https://www.reddit.com/user/alexdemo42")
    assert (reddit.status_code, reddit.outcome) == (200, "not_found")
    assert reddit.error == "not_found: HTTP 200: the page says the user is missing"
    assert result["per_site"]["twitter"] == ["unknown", "blocked", 403]
    assert ctx.notes[0].startswith("2 of 6 sites gave no usable answer")


@pytest.mark.django_db
def test_the_same_username_run_twice_adds_nothing(world, make_target, make_context):
    target = make_target("username", "alexdemo42")
    ctx = make_context(target, source=usernames.SOURCE)
    usernames.enumerate_username(ctx, "alexdemo42")
    counts = lambda: (  # noqa: E731
        Entity.objects.filter(investigation=target.investigation).count(),
        Relationship.objects.filter(investigation=target.investigation).count(),
        Evidence.objects.filter(investigation=target.investigation).count(),
    )
    before = counts()

    usernames.enumerate_username(ctx, "alexdemo42")

    assert counts() == before


def test_the_social_tasks_keep_their_registered_names():
    from investigations.tasks import scrape_social_media_investigation_task
    from scraping.tasks import scrape_social_media_profile_task, scrape_username_task

    assert scrape_username_task.name == "scraping.tasks.scrape_username_task"
    assert (
        scrape_social_media_profile_task.name == "scraping.tasks.scrape_social_media_profile_task"
    )
    assert (
        scrape_social_media_investigation_task.name
        == "investigations.tasks.scrape_social_media_investigation_task"
    )
