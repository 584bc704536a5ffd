"""Every source is held to shared limits: per platform, and per host where each host is a
service of its own (Mastodon instances, RDAP and WHOIS servers, web sites, username
sites). What the admin and the investigation page show of them."""

import socketserver
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from investigations.errors import TransientError
from investigations.models import Job, JobPhase, JobState
from replay.http import ReplayServer, Reply
from scraping import ratelimit
from scraping.clients.mastodon import MastodonClient
from scraping.clients.whois import WhoisClient
from scraping.http import HttpClient
from scraping.models import PlatformLimit
from tests.factories import InvestigationFactory, TargetFactory, UserFactory

pytestmark = pytest.mark.usefixtures("fresh_limits")


class Refusing(ReplayServer):
    """Answers 429 with Retry-After to requests meant for the hosts named, 200 to others."""

    def __init__(self, refuse: set[str]):
        super().__init__()
        self.refuse = refuse

    def handle(self, request) -> Reply:
        host = request.headers.get("x-original-host", "")
        if host in self.refuse:
            return Reply(429, {"error": "Too many requests"}, {"Retry-After": "90"})
        return Reply(200, {"subject": "acct:x@" + host, "links": []})


@pytest.mark.django_db
def test_a_host_without_a_limit_of_its_own_is_held_to_its_family(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "mastodon": (1.0, 10, 4)}

    assert ratelimit.limit_for("mastodon:mastodon.social") == ratelimit.Limit(1.0, 10, 4)
    assert ratelimit.limit_for("site:github") == ratelimit.default_limit("site")
    assert ratelimit.limit_for("brand-new") == ratelimit.default_limit("default")

    PlatformLimit.objects.create(platform="mastodon", requests_per_second=3, burst=2)
    PlatformLimit.objects.create(platform="mastodon:fosstodon.org", requests_per_second=0.5)
    ratelimit.forget_cached_limits()

    limits = ratelimit.limits_for(["mastodon:mastodon.social", "mastodon:fosstodon.org"])
    assert limits["mastodon:mastodon.social"] == ratelimit.Limit(3.0, 2, 0)
    assert limits["mastodon:fosstodon.org"] == ratelimit.Limit(0.5, 1, 0)


@pytest.mark.django_db
def test_a_429_from_one_mastodon_instance_pauses_that_instance_only(settings):
    settings.RATE_LIMIT_MAX_WAIT = 1.0
    with Refusing({"busy.example"}) as server:
        client = MastodonClient(url_override=server.url)

        refused = client.resolve("alice", "busy.example")
        other = client.resolve("bob", "calm.example")
        with pytest.raises(TransientError, match="mastodon:busy.example is paused"):
            client.resolve("carol", "busy.example")
        asked = [r.headers.get("x-original-host") for r in server.requests]

    assert "HTTP 429" in refused.note
    assert other.api_host == "calm.example"
    assert asked == ["busy.example", "calm.example"]  # the paused instance was not asked
    busy = ratelimit.state("mastodon:busy.example")
    assert busy.paused_until is not None and 85 <= busy.paused_until - time.time() <= 91
    assert ratelimit.state("mastodon:calm.example").paused_until is None
    assert ratelimit.state("mastodon").paused_until is None
    assert {"mastodon:busy.example", "mastodon:calm.example"} <= ratelimit.seen()


@pytest.mark.django_db
def test_turns_for_many_platforms_are_taken_in_one_step(settings):
    settings.RATE_LIMIT_HEADROOM = 0.0
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "site": (2.0, 2, 0)}
    names = ["site:alpha", "site:beta", "site:gamma"]
    ratelimit.pause("site:gamma", 60, "HTTP 429 with Retry-After")

    first = dict(zip(names, ratelimit.reserve_turns(names, max_wait=5.0), strict=True))
    second = dict(zip(names, ratelimit.reserve_turns(names, max_wait=5.0), strict=True))
    third = dict(zip(names, ratelimit.reserve_turns(names, max_wait=5.0), strict=True))
    (too_far,) = ratelimit.reserve_turns(["site:alpha"], max_wait=0.1)

    assert [first[n].state for n in names] == ["ok", "ok", "paused"]
    assert first["site:alpha"].wait == 0 and second["site:alpha"].wait == 0  # the burst of two
    assert third["site:alpha"].state == "ok"
    assert third["site:alpha"].wait == pytest.approx(0.5, abs=0.05)  # then 2 a second
    assert too_far.state == "wait" and too_far.wait > 0.9
    assert first["site:gamma"].reason == "HTTP 429 with Retry-After"
    assert set(names) <= ratelimit.seen()
    assert [name for name, _, _ in ratelimit.paused()] == ["site:gamma"]


@pytest.mark.django_db
def test_a_pause_reason_with_tabs_and_line_breaks_keeps_every_turn_in_its_place(settings):
    """Turns for many platforms travel as lines of tab-separated fields; a reason taken
    from an answer may hold either."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "site": (1000.0, 10, 0)}
    ratelimit.pause("site:odd", 60, "said:\tslow\ndown")

    odd, calm = ratelimit.reserve_turns(["site:odd", "site:calm"], max_wait=1.0)

    assert (odd.state, odd.reason) == ("paused", "said: slow down")
    assert (calm.state, calm.wait) == ("ok", 0.0)
    with pytest.raises(ValueError, match="tab or a line break"):
        ratelimit.reserve_turns(["site:a\tb"], max_wait=1.0)


class _ThrottlingWhois(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(1024)
        self.request.sendall(b"%% Query rate limit exceeded. Try again in 2 minutes.\r\n")


@pytest.mark.django_db
def test_a_whois_server_that_says_it_throttles_is_paused(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    with socketserver.TCPServer(("127.0.0.1", 0), _ThrottlingWhois) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        address = f"127.0.0.1:{server.server_address[1]}"
        try:
            answer = WhoisClient(override=address).ask("whois.example-registry.net", "a.example")
        finally:
            server.shutdown()

    assert "rate limit exceeded" in answer.text
    paused = ratelimit.state("whois:whois.example-registry.net")
    assert paused.paused_until is not None and 110 <= paused.paused_until - time.time() <= 121
    assert ratelimit.state(f"whois:{address.split(':')[0]}").paused_until is None


@pytest.mark.django_db
def test_a_request_names_the_host_it_is_meant_for_behind_an_override(settings):
    """Limits and cached answers follow the host meant, not the override asked."""
    with Refusing(set()) as server:
        client = HttpClient(platform="mastodon", cache_answers=True)
        client.get(server.url + "/x", platform="mastodon:one.example")
        client.get(server.url + "/x", platform="mastodon:two.example")

    assert len(server.requests) == 2  # two hosts: no answer of one served for the other
    assert {"mastodon:one.example", "mastodon:two.example"} <= ratelimit.seen()


@pytest.mark.django_db
def test_the_investigation_page_names_a_paused_host_of_a_source(client):
    user = UserFactory()
    client.force_login(user)
    investigation = InvestigationFactory(owner=user)
    target = TargetFactory(investigation=investigation, kind="domain", value="example.com")
    Job.objects.create(
        investigation=investigation,
        target=target,
        phase=JobPhase.SCRAPING,
        name="domain",
        task_name="scraping.tasks.analyze_domain_task",
        state=JobState.RUNNING,
    )
    ratelimit.pause("rdap:rdap.example-registry.net", 300, "HTTP 429 with Retry-After")
    ratelimit.pause("mastodon:elsewhere.example", 300, "HTTP 429 with Retry-After")

    page = client.get(reverse("investigations:detail", args=[investigation.pk])).content.decode()
    api = client.get(f"/api/investigations/{investigation.pk}/").json()

    assert "rdap:rdap.example-registry.net is paused until" in page
    assert "elsewhere.example" not in page  # not a platform this investigation asks
    shown = {p["platform"] for p in api["collection"]["platforms"]}
    assert {"rdap", "whois", "crtsh", "web", "rdap:rdap.example-registry.net"} <= shown


@pytest.mark.django_db
def test_the_admin_lists_every_family_seen_with_its_hosts_and_pauses(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    ratelimit.reserve_turns(["site:github", "site:gitlab", "newsource"], max_wait=1.0)
    ratelimit.pause("site:gitlab", 300, "HTTP 429 with Retry-After")

    page = client.get(reverse("admin:scraping_platformlimit_changelist")).content.decode()

    rows = set(PlatformLimit.objects.values_list("platform", flat=True))
    assert {"github", "mastodon", "bluesky", "rdap", "whois", "crtsh", "web", "site"} <= rows
    assert "newsource" in rows  # seen in use, though settings do not name it
    assert "site:github" not in rows  # hosts are held by their family's row
    assert "2: github, gitlab" in page
    assert "1 host(s) paused: gitlab" in page

    site_row = PlatformLimit.objects.get(platform="site")
    client.post(
        reverse("admin:scraping_platformlimit_changelist"),
        {"action": "resume_now", "_selected_action": [site_row.pk]},
    )
    assert ratelimit.state("site:gitlab").paused_until is None


def _list_edit(client, changes: dict[str, dict[str, object]]):
    """Post the admin list as an admin would after changing the rows named."""
    rows = list(PlatformLimit.objects.order_by("platform", "-pk"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        values = {
            "id": row.pk,
            "requests_per_second": row.requests_per_second,
            "burst": row.burst,
            "max_concurrent": row.max_concurrent,
            **changes.get(row.platform, {}),
        }
        data.update({f"form-{index}-{field}": value for field, value in values.items()})
    return client.post(reverse("admin:scraping_platformlimit_changelist"), data)


@pytest.mark.django_db
def test_rows_the_admin_page_adds_follow_settings_until_an_admin_changes_them(
    admin_client, settings
):
    changelist = reverse("admin:scraping_platformlimit_changelist")
    admin_client.get(changelist)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "github": (7.0, 3, 2)}
    ratelimit.forget_cached_limits()

    page = admin_client.get(changelist).content.decode()
    github = PlatformLimit.objects.get(platform="github")

    assert ratelimit.limit_for("github") == ratelimit.Limit(7.0, 3, 2)
    assert (github.overridden, github.requests_per_second, github.burst) == (False, 7.0, 3)
    assert "from settings" in page and "set here" not in page

    response = _list_edit(admin_client, {"github": {"requests_per_second": 40}})
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "github": (9.0, 3, 2)}
    admin_client.get(changelist)
    ratelimit.forget_cached_limits()
    github.refresh_from_db()

    assert response.status_code == 302
    assert ratelimit.limit_for("github") == ratelimit.Limit(40.0, 3, 2)
    assert (github.overridden, github.requests_per_second, github.note) == (True, 40.0, "")
    assert list(PlatformLimit.objects.filter(overridden=True)) == [github]  # others unchanged

    admin_client.post(changelist, {"action": "follow_settings", "_selected_action": [github.pk]})
    github.refresh_from_db()

    assert ratelimit.limit_for("github") == ratelimit.Limit(9.0, 3, 2)
    assert (github.overridden, github.requests_per_second) == (False, 9.0)
    assert github.note == "Default from settings (RATE_LIMITS)."


@pytest.mark.django_db
def test_a_row_added_by_hand_in_the_admin_sets_its_host_apart(admin_client):

    admin_client.post(
        reverse("admin:scraping_platformlimit_add"),
        {
            "platform": "mastodon:fosstodon.org",
            "requests_per_second": 0.5,
            "burst": 2,
            "max_concurrent": 1,
            "note": "Asked us to slow down",
        },
    )

    row = PlatformLimit.objects.get(platform="mastodon:fosstodon.org")
    assert row.overridden is True
    assert ratelimit.limit_for("mastodon:fosstodon.org") == ratelimit.Limit(0.5, 2, 1)


@pytest.mark.django_db
def test_the_admin_refuses_a_rate_slower_than_one_request_in_1000_seconds(admin_client):
    fields = {"platform": "slow", "burst": 1, "max_concurrent": 0, "note": ""}

    refused = admin_client.post(
        reverse("admin:scraping_platformlimit_add"), {**fields, "requests_per_second": "1e-300"}
    )
    accepted = admin_client.post(
        reverse("admin:scraping_platformlimit_add"), {**fields, "requests_per_second": "0.001"}
    )

    assert "Enter 0 for no rate limit, or at least 0.001 requests a second" in (
        refused.content.decode()
    )
    assert accepted.status_code == 302
    assert PlatformLimit.objects.get(platform="slow").requests_per_second == 0.001


@pytest.mark.django_db
def test_a_row_slower_than_the_slowest_rate_is_held_to_it_and_requests_still_go():
    PlatformLimit.objects.create(platform="tiny", requests_per_second=1e-300, burst=1)

    with ratelimit.slot("tiny"):
        pass

    assert ratelimit.limit_for("tiny") == ratelimit.Limit(0.001, 1, 0)


def test_settings_refuse_a_rate_slower_than_the_slowest():
    from osint_platform.settings.scraping import _limits

    assert _limits({"slow": "0.001:1:1", "open": "0:1:0"}) == {
        "slow": (0.001, 1, 1),
        "open": (0.0, 1, 0),
    }
    for text in ("1e-300:1:1", "-1:1:1", "nan:1:1"):
        with pytest.raises(ImproperlyConfigured, match="must be 0 \\(no limit\\) or at least"):
            _limits({"slow": text})


@pytest.mark.django_db
def test_the_admin_list_leaves_out_a_seen_name_too_long_for_a_row(admin_client):
    ratelimit.reserve_turns(["x" * 400], max_wait=1.0)

    response = admin_client.get(reverse("admin:scraping_platformlimit_changelist"))

    assert response.status_code == 200
    assert not PlatformLimit.objects.filter(platform__startswith="xxx").exists()


@pytest.mark.django_db
def test_resuming_counts_only_the_paused_hosts_of_the_families_chosen(admin_client):
    changelist = reverse("admin:scraping_platformlimit_changelist")
    admin_client.get(changelist)
    ratelimit.pause("bluesky", 300, "HTTP 429 with Retry-After")
    ratelimit.pause("site", 300, "HTTP 429 with Retry-After")
    ratelimit.pause("site:gitlab", 300, "HTTP 429 with Retry-After")
    bluesky, site = (PlatformLimit.objects.get(platform=name).pk for name in ("bluesky", "site"))

    alone = admin_client.post(
        changelist, {"action": "resume_now", "_selected_action": [bluesky]}, follow=True
    )
    family = admin_client.post(
        changelist, {"action": "resume_now", "_selected_action": [site]}, follow=True
    )

    assert "1 platform(s) resumed." in alone.content.decode()
    assert "1 platform(s) resumed, with 1 paused host(s) of theirs." in family.content.decode()
    assert ratelimit.paused() == []
