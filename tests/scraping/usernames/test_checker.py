import asyncio
from types import SimpleNamespace

import pytest

from replay.http import ReplayServer, Reply
from replay.sites.behaviour import Scenario
from scraping.usernames.checker import InMemoryControlMemory
from scraping.usernames.detection import CheckState, Reason

from .conftest import make_site, run_apart

STATUS = make_site("statusy", {"method": "status", "missing_status": []})
TEXT = make_site("texty", {"method": "text", "missing_text": ["Sorry, no such member"]})
REDIRECT = make_site("redirecty", {"method": "redirect"})
JSON = make_site(
    "jsony",
    {"method": "json", "field": "data.taken", "missing": [False]},
    request={"url": "https://api.jsony.example/check?name={username}"},
)
POST = make_site(
    "posty",
    {"method": "json", "field": "taken", "missing": [False]},
    profile="https://posty.example",
    request={
        "url": "https://posty.example/api/username",
        "method": "POST",
        "json": {"username": "{username}"},
    },
)
ALL_METHODS = [STATUS, TEXT, REDIRECT, JSON, POST]


def by_site(results):
    return {r.site.id: r for r in results}


def test_each_detection_method_tells_an_existing_profile_from_a_missing_one(simulate, checker_for):
    simulation = simulate(ALL_METHODS, present=["alice"])
    checker = checker_for(simulation)

    present = by_site(checker.check("alice", ALL_METHODS))
    absent = by_site(checker.check("bob", ALL_METHODS))

    assert {k: r.state for k, r in present.items()} == dict.fromkeys(
        ["statusy", "texty", "redirecty", "jsony", "posty"], CheckState.FOUND
    )
    assert {k: (r.state, r.reason) for k, r in absent.items()} == {
        "statusy": (CheckState.NOT_FOUND, Reason.MISSING_STATUS),
        "texty": (CheckState.NOT_FOUND, Reason.MISSING_TEXT),
        "redirecty": (CheckState.NOT_FOUND, Reason.REDIRECTED),
        "jsony": (CheckState.NOT_FOUND, Reason.MISSING_JSON),
        "posty": (CheckState.NOT_FOUND, Reason.MISSING_JSON),
    }
    assert present["statusy"].url == "https://statusy.example/u/alice"
    assert present["jsony"].request_url == "https://api.jsony.example/check?name=alice"
    assert present["statusy"].status == 200 and absent["statusy"].status == 404


def test_the_real_host_travels_in_a_header_to_the_override_address(simulate, checker_for):
    simulation = simulate([STATUS], present=["alice"])

    checker_for(simulation).check("alice", [STATUS])

    request = simulation.requests_for("statusy")[0]
    assert request.headers["x-original-host"] == "statusy.example"
    assert request.target == "/u/alice"
    assert request.headers["user-agent"] == "osint-test/1.0"


def test_a_name_invalid_for_a_site_is_never_requested_there(simulate, checker_for):
    strict = make_site("strict", {"method": "status"}, username={"pattern": "^[a-z]{3,8}$"})
    simulation = simulate([strict, STATUS], present=["ab-cd_12"])

    results = by_site(checker_for(simulation).check("ab-cd_12", [strict, STATUS]))

    assert results["strict"].state == CheckState.NOT_FOUND
    assert results["strict"].reason == Reason.INVALID_USERNAME
    assert results["strict"].requested is False
    assert simulation.requests_for("strict") == []
    assert results["statusy"].state == CheckState.FOUND


def test_a_site_that_finds_any_name_is_caught_by_the_control_check(simulate, checker_for):
    simulation = simulate([STATUS, TEXT], present=["alice"])
    simulation.set_scenario("statusy", Scenario.FOUND_FOR_ANY)
    memory = InMemoryControlMemory()

    results = by_site(checker_for(simulation, control_memory=memory).check("alice", [STATUS, TEXT]))

    assert results["statusy"].state == CheckState.UNKNOWN
    assert results["statusy"].reason == Reason.ANSWERS_ANY_NAME
    assert results["statusy"].control.startswith("failed: a random name")
    assert results["texty"].state == CheckState.FOUND
    assert results["texty"].control.startswith("passed")
    assert memory.get("statusy") is True and memory.get("texty") is False
    control_names = [r.username for r in simulation.requests_for("statusy")]
    assert control_names[0] == "alice" and len(control_names) == 2


def test_a_remembered_control_answer_is_not_asked_again(simulate, checker_for):
    simulation = simulate([STATUS], present=["alice"])
    memory = InMemoryControlMemory()
    memory.set("statusy", True)

    result = checker_for(simulation, control_memory=memory).check("alice", [STATUS])[0]

    assert result.reason == Reason.ANSWERS_ANY_NAME
    assert len(simulation.requests_for("statusy")) == 1


@pytest.mark.parametrize(
    ("scenario", "reason", "detail"),
    [
        (Scenario.WAF, Reason.BLOCKED, "HTTP 403: Cloudflare browser challenge"),
        (Scenario.CAPTCHA, Reason.BLOCKED, "HTTP 200: reCAPTCHA"),
        (Scenario.RATE_LIMITED, Reason.RATE_LIMITED, "HTTP 429: rate limited, retry after 30 s"),
        (Scenario.SERVER_ERROR, Reason.SERVER_ERROR, "HTTP 503: the site failed"),
    ],
)
def test_firewall_captcha_rate_limit_and_failure_pages_are_unknown_never_found(
    simulate, checker_for, scenario, reason, detail
):
    sites = [STATUS, TEXT]
    simulation = simulate(sites, present=["alice"])
    for site in sites:
        simulation.set_scenario(site.id, scenario)

    for name in ("alice", "bob"):
        for result in checker_for(simulation).check(name, sites):
            assert (result.state, result.reason, result.detail) == (
                CheckState.UNKNOWN,
                reason,
                detail,
            )


def test_a_slow_site_is_unknown_after_its_timeout_and_the_rest_is_answered(simulate, checker_for):
    simulation = simulate([STATUS, TEXT], present=["alice"], slow_seconds=3.0)
    simulation.set_scenario("statusy", Scenario.SLOW)

    results = by_site(checker_for(simulation, site_timeout=0.5).check("alice", [STATUS, TEXT]))

    assert results["statusy"].state == CheckState.UNKNOWN
    assert results["statusy"].reason == Reason.TIMEOUT
    assert results["statusy"].detail == "no full answer within 0.5 s"
    assert results["texty"].state == CheckState.FOUND


def test_checks_still_open_at_the_run_deadline_are_unknown_with_that_reason(simulate, checker_for):
    simulation = simulate([STATUS, TEXT], present=["alice"], slow_seconds=3.0)
    simulation.set_scenario("statusy", Scenario.SLOW)

    results = by_site(
        checker_for(simulation, site_timeout=10, run_timeout=0.5).check("alice", [STATUS, TEXT])
    )

    assert (results["statusy"].state, results["statusy"].reason) == (
        CheckState.UNKNOWN,
        Reason.RUN_DEADLINE,
    )
    assert results["texty"].state == CheckState.FOUND


def test_a_missing_profile_redirected_to_a_login_page_is_not_found_never_found(
    simulate, checker_for
):
    # Case from real reports: the login page answers 200, which a naive check takes
    # for the profile.
    simulation = simulate([STATUS, TEXT], present=["alice"])
    simulation.set_scenario("statusy", Scenario.LOGIN_REDIRECT)
    simulation.set_scenario("texty", Scenario.AGE_GATE)

    absent = by_site(checker_for(simulation).check("bob", [STATUS, TEXT]))
    present = by_site(checker_for(simulation).check("alice", [STATUS, TEXT]))

    assert {k: (r.state, r.reason) for k, r in absent.items()} == {
        "statusy": (CheckState.NOT_FOUND, Reason.REDIRECTED_TO_LOGIN),
        "texty": (CheckState.NOT_FOUND, Reason.REDIRECTED_TO_LOGIN),
    }
    assert absent["statusy"].final_url == "https://statusy.example/accounts/login/?next=bob"
    assert present["statusy"].state == CheckState.FOUND


def test_a_login_redirect_on_a_walled_site_is_unknown(simulate, checker_for):
    walled = make_site("walled", {"method": "status"}, walled=True)
    simulation = simulate([walled])
    simulation.set_scenario("walled", Scenario.LOGIN_REDIRECT)

    result = checker_for(simulation).check("bob", [walled])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.LOGIN_WALL)


def test_a_redirect_that_keeps_to_the_profile_is_followed(checker_for):
    moved = make_site("moved", {"method": "status"}, profile="https://moved.example/U/{username}")
    server = ReplayServer()
    server.handle = lambda request: (
        Reply(301, b"", {"Location": "https://www.moved.example/u/alice/"})
        if request.path == "/U/alice"
        else Reply(200, b"<html><title>alice</title></html>")
        if request.path == "/u/alice/"
        else Reply(404, b"")
    )
    with server:
        result = checker_for(SimpleNamespace(url=server.url)).check("alice", [moved])[0]
        hosts = [r.headers["x-original-host"] for r in server.requests[:2]]

    assert (result.state, result.detail) == (CheckState.FOUND, "HTTP 200: the profile answers")
    assert result.final_url == "https://www.moved.example/u/alice/"
    assert hosts == ["moved.example", "www.moved.example"]


def test_a_hostile_name_cannot_leave_the_profile_address(simulate, checker_for):
    simulation = simulate([STATUS])

    result = checker_for(simulation).check("a/../b?x=1#y", [STATUS])[0]

    assert result.request_url == "https://statusy.example/u/a%2F..%2Fb%3Fx%3D1%23y"
    assert simulation.requests_for("statusy")[0].target == "/u/a%2F..%2Fb%3Fx%3D1%23y"


def test_more_than_a_hundred_checks_are_in_flight_at_once(simulate, checker_for):
    sites = [make_site(f"site{n}", {"method": "status"}) for n in range(150)]
    simulation = simulate(sites, latency=0.4)
    in_flight = {"now": 0, "peak": 0}
    original = simulation.answer

    def counting(key, request):
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        asyncio.get_running_loop().call_later(
            0.35, lambda: in_flight.update(now=in_flight["now"] - 1)
        )
        return original(key, request)

    simulation.answer = counting

    results = checker_for(simulation, concurrency=200).check("nobody", sites)

    assert {r.state for r in results} == {CheckState.NOT_FOUND}
    assert in_flight["peak"] >= 100


def test_requests_go_through_the_http_outbound_proxy(simulate, checker_for):
    class Proxy(ReplayServer):
        def handle(self, request):
            return Reply(404, b"not here")

    simulation = simulate([STATUS])
    with Proxy() as proxy:
        checker = checker_for(simulation, proxy=proxy.url)
        result = checker.check("alice", [STATUS])[0]
        seen = [(r.headers["host"], r.path) for r in proxy.requests]

    assert result.state == CheckState.NOT_FOUND
    assert seen == [(simulation.url.removeprefix("http://"), "/u/alice")]
    assert simulation.requests_for("statusy") == []


def test_checks_run_when_the_caller_already_has_an_event_loop_running(simulate, checker_for):
    simulation = simulate([STATUS], present=["alice"])
    checker = checker_for(simulation)

    async def caller():
        return checker.check("alice", [STATUS])

    results = run_apart(caller())

    assert [r.state for r in results] == [CheckState.FOUND]
