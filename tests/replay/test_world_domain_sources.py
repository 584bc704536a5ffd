import pytest

from investigations.models import Relationship
from investigations.services.graph import GraphWriter
from replay.world import ReplayWorld
from scraping.services.domain import registration, web


def test_the_world_points_the_domain_sources_at_its_servers():
    with ReplayWorld() as world:
        env = world.env()

        assert env["RDAP_URL"] == world.rdap.url
        assert env["WHOIS_SERVER"] == world.whois.address
        assert env["WEB_URL_OVERRIDE"] == world.web.url
        assert env["ALLOW_PRIVATE_ADDRESSES"] == "1"


@pytest.mark.django_db
def test_registration_and_web_run_end_to_end_in_the_world(settings, make_context, make_target):
    with ReplayWorld() as world:
        env = world.env()
        settings.RDAP_URL = env["RDAP_URL"]
        settings.WHOIS_SERVER = env["WHOIS_SERVER"]
        settings.WEB_URL_OVERRIDE = env["WEB_URL_OVERRIDE"]
        settings.ALLOW_PRIVATE_ADDRESSES = True
        world.web.add("google.com", {"headers": {"Server": "gws"}, "body": "<title>Google</title>"})
        ctx = make_context(make_target("domain", "google.com"), source="domain")
        writer = GraphWriter(ctx.investigation_id, ctx.target_id, "domain")

        assert registration.collect(ctx, writer, "google.com")["registrar"] == "MarkMonitor Inc."
        assert web.collect(ctx, writer, "google.com")["technologies"] == ["Google Web Server"]

    kinds = set(
        Relationship.objects.filter(investigation_id=ctx.investigation_id).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"registered_with", "registered_to", "has_name_server", "serves", "uses"}
