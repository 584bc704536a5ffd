import json
import time
from pathlib import Path

import pytest

from investigations.errors import NotFoundError, PermanentError, TransientError
from replay.http import Reply
from scraping.clients.github import GitHubClient, parse_link_header

FIXTURES = Path(__file__).resolve().parents[2] / "replay" / "github" / "fixtures"


@pytest.fixture
def client(github_replay):
    return GitHubClient(base_url=github_replay.url, stats_base_delay=0.01, rate_limit_max_wait=10)


def test_link_header_from_a_recorded_github_page_is_parsed():
    # The header of page 2 of the recorded 14-page openFrameworks issue list.
    header = (
        '<https://api.github.com/repos/openframeworks/openFrameworks/issues?page=3>; rel="next", '
        '<https://api.github.com/repos/openframeworks/openFrameworks/issues?page=14>; rel="last", '
        '<https://api.github.com/repos/openframeworks/openFrameworks/issues?page=1>; rel="first", '
        '<https://api.github.com/repos/openframeworks/openFrameworks/issues?page=1>; rel="prev"'
    )
    links = parse_link_header(header)
    assert links["next"].endswith("issues?page=3")
    assert links["last"].endswith("issues?page=14")
    assert set(links) == {"next", "last", "first", "prev"}


@pytest.mark.django_db
def test_a_list_over_several_pages_comes_back_whole_with_100_a_page(client, github_replay):
    answer = client.paginate("/repos/openframeworks/openFrameworks/issues", "issues")

    recorded = json.loads((FIXTURES / "recorded.json").read_text())
    expected = next(r for r in recorded["resources"] if r["path"].endswith("openFrameworks/issues"))
    assert len(answer.data) == 333
    assert [i["id"] for i in answer.data] == [i["id"] for i in expected["items"]]
    requests = github_replay.requests_to("/repos/openframeworks/openFrameworks/issues")
    assert [r.query.get("per_page") for r in requests] == ["100"] * 4
    assert [r.query.get("page") for r in requests] == [None, "2", "3", "4"]


@pytest.mark.django_db
def test_a_rate_limited_answer_is_waited_out_and_then_succeeds(client, github_replay):
    github_replay.exhaust_rate_limit(reset_in=1.5, times=1)

    started = time.monotonic()
    answer = client.get_object("/users/jacquev6", "user")

    assert answer.data["login"] == "jacquev6"
    assert answer.data["location"] == "Paris, France"
    assert time.monotonic() - started >= 1.0
    assert len(github_replay.requests_to("/users/jacquev6")) == 2


@pytest.mark.django_db
def test_a_rate_limit_resetting_too_late_is_handed_back_as_transient_with_the_wait(github_replay):
    client = GitHubClient(base_url=github_replay.url, rate_limit_max_wait=5)
    github_replay.exhaust_rate_limit(reset_in=600, times=1)

    with pytest.raises(TransientError) as caught:
        client.get_object("/users/jacquev6", "user")

    assert 590 <= caught.value.retry_after <= 602


@pytest.mark.django_db
def test_a_secondary_rate_limit_honours_retry_after(client, github_replay):
    github_replay.queue(
        "/users/nvie",
        Reply(403, {"message": "You have exceeded a secondary rate limit."}, {"retry-after": "1"}),
    )

    answer = client.get_object("/users/nvie", "user")

    assert answer.data["login"] == "nvie"
    # The second request waited for GitHub's pause (every worker's), in its turn.
    first, second = github_replay.requests_to("/users/nvie")
    assert second.received_at - first.received_at >= 0.95


@pytest.mark.django_db
def test_an_unknown_user_is_not_found(client):
    with pytest.raises(NotFoundError, match="not found"):
        client.get_object("/users/ThisUserShouldReallyNotExist", "GitHub user")


@pytest.mark.django_db
def test_a_server_error_is_transient_and_a_forbidden_answer_permanent(client, github_replay):
    github_replay.queue(
        "/users/nvie",
        Reply(502, "Bad gateway"),
        Reply(451, {"message": "Unavailable for legal reasons"}),
    )

    with pytest.raises(TransientError, match="502"):
        client.get_object("/users/nvie", "user")
    with pytest.raises(PermanentError, match="451.*legal"):
        client.get_object("/users/nvie", "user")


@pytest.mark.django_db
def test_an_unchanged_resource_is_served_from_the_etag_cache(client, github_replay):
    first = client.get_object("/users/nvie", "user")
    second = client.get_object("/users/nvie", "user")

    requests = github_replay.requests_to("/users/nvie")
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers["if-none-match"] == first.response.header("etag")
    assert second.response.from_cache is True
    assert second.data == first.data


@pytest.mark.django_db
def test_contributor_statistics_still_computing_are_pending_never_empty(client, github_replay):
    github_replay.queue("/repos/PyGithub/PyGithub/stats/contributors", *[Reply(202, {})] * 4)

    stats = client.contributor_stats("PyGithub/PyGithub")

    assert stats.status == "pending"
    assert stats.data == []
    assert len(github_replay.requests_to("/repos/PyGithub/PyGithub/stats/contributors")) == 4


@pytest.mark.django_db
def test_contributor_statistics_answer_after_a_202(client, github_replay):
    stats = client.contributor_stats("PyGithub/PyGithub")

    assert stats.status == "ok"
    assert [(row["author"]["login"], row["total"]) for row in stats.data] == [("jacquev6", 355)]
    assert [r.status for r in stats.responses] == [202, 200]


@pytest.mark.django_db
def test_an_empty_repository_gives_empty_results_at_once(client, github_replay):
    github_replay.queue("/repos/acme/empty/stats/contributors", Reply(204, b""))
    github_replay.queue(
        "/repos/acme/empty/commits",
        Reply(
            409,
            {
                "message": "Git Repository is empty.",
                "documentation_url": "https://docs.github.com/rest",
            },
        ),
    )

    stats = client.contributor_stats("acme/empty")
    commits = client.paginate("/repos/acme/empty/commits", "commits")

    assert (stats.status, stats.data) == ("empty", [])
    assert commits.data == []
    assert len(github_replay.requests_to("/repos/acme/empty/stats/contributors")) == 1


@pytest.mark.django_db
def test_a_next_link_to_another_host_is_not_followed(client, github_replay):
    github_replay.queue(
        "/users/nvie/repos",
        Reply(
            200,
            [{"full_name": "nvie/a"}],
            {"link": '<http://attacker.invalid/steal?page=2>; rel="next"'},
        ),
    )

    answer = client.paginate("/users/nvie/repos", "repositories")

    assert answer.data == [{"full_name": "nvie/a"}]


@pytest.mark.django_db
def test_an_answer_that_is_not_json_is_a_clear_permanent_error(client, github_replay):
    github_replay.queue("/users/nvie", Reply(200, b"<html>\xff\xfe not json"))

    with pytest.raises(PermanentError, match="not valid JSON"):
        client.get_object("/users/nvie", "user")


@pytest.mark.django_db
def test_the_token_is_sent_as_a_bearer_header(github_replay):
    client = GitHubClient(base_url=github_replay.url, token="ghp_exampletoken")

    client.get_object("/users/nvie", "user")

    request = github_replay.requests_to("/users/nvie")[0]
    assert request.headers["authorization"] == "Bearer ghp_exampletoken"


@pytest.mark.django_db
def test_a_page_longer_than_asked_for_is_cut_and_the_list_marked_incomplete(client, github_replay):
    github_replay.queue("/users/nvie/repos", Reply(200, [{"id": n} for n in range(1000)]))

    answer = client.paginate("/users/nvie/repos", "repositories")

    assert len(answer.data) == 100
    assert answer.complete is False


@pytest.mark.django_db
def test_a_secondary_limit_said_only_in_the_body_pauses_github_for_every_worker(
    github_replay, settings
):
    """No rate-limit headers for the HTTP layer to read: the client pauses GitHub itself,
    so that every worker waits, and the job is handed back rather than held idle."""
    from investigations.errors import RateLimited
    from scraping import ratelimit

    settings.RATE_LIMIT_MAX_WAIT = 0.2
    refusal = Reply(403, {"message": "You have exceeded a secondary rate limit."})
    github_replay.queue("/users/jacquev6", refusal)
    client = GitHubClient(base_url=github_replay.url, rate_limit_max_wait=120)

    with pytest.raises(RateLimited, match="github is paused for 60 s more"):
        client.get_object("/users/jacquev6", "user")

    state = ratelimit.state("github")
    assert state.paused_until is not None and 55 <= state.paused_until - time.time() <= 61
    assert state.pause_reason == "HTTP 403: GitHub's rate limit"
    assert len(github_replay.requests_to("/users/jacquev6")) == 1  # nothing more sent
