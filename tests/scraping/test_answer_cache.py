"""The cache of source answers: a second investigation of a target within the lifetime
asks nothing again and says it used cached data from when; fresh data can be forced."""

from datetime import datetime

import pytest

from investigations.models import EvidenceOutcome
from scraping.tasks import scrape_github_user_task
from tests.factories import InvestigationFactory, TargetFactory, UserFactory


def investigate_user(login: str, owner=None, **options):
    investigation = InvestigationFactory(options=options, owner=owner)
    target = TargetFactory(investigation=investigation, value=login)
    result = scrape_github_user_task.apply(args=(target.pk,)).get()
    target.refresh_from_db()
    return target, result


@pytest.mark.django_db
def test_a_second_investigation_within_the_lifetime_reuses_the_answers(github_replay):
    first, _ = investigate_user("jacquev6")
    requests_after_first = len(github_replay.requests)
    fetched = first.investigation.evidence.get(url__endswith="/users/jacquev6").fetched_at

    second, result = investigate_user("jacquev6")

    assert requests_after_first == 4  # profile, repositories, organizations, events
    assert len(github_replay.requests) == requests_after_first
    assert result["state"] == "succeeded"
    assert result["cache"]["answers"] == 4
    assert datetime.fromisoformat(second.summary["cache"]["fetched_at"]) <= fetched
    assert second.summary["cache"]["sources"] == ["github"]
    evidence = second.investigation.evidence.get(url__endswith="/users/jacquev6")
    assert evidence.outcome == EvidenceOutcome.CACHED
    assert evidence.fetched_at == fetched
    # The graph is the same as when fetched: the cached answers are read, not summaries.
    assert set(second.investigation.entities.values_list("key", flat=True)) == set(
        first.investigation.entities.values_list("key", flat=True)
    )


@pytest.mark.django_db
def test_an_investigation_asking_for_fresh_data_asks_again(github_replay):
    investigate_user("jacquev6")
    before = len(github_replay.requests)

    target, result = investigate_user("jacquev6", fresh=True)

    assert len(github_replay.requests) == before + 4
    assert "cache" not in result
    assert target.summary["cache"] is None
    outcomes = set(target.investigation.evidence.values_list("outcome", flat=True))
    assert EvidenceOutcome.CACHED not in outcomes


@pytest.mark.django_db
def test_the_force_fresh_setting_asks_again_for_every_investigation(github_replay, settings):
    investigate_user("nvie")
    settings.SOURCE_CACHE_FORCE_FRESH = True
    before = len(github_replay.requests)

    investigate_user("nvie")

    assert len(github_replay.requests) == before + 4


@pytest.mark.django_db
def test_a_lifetime_of_zero_keeps_nothing(github_replay, settings):
    settings.SOURCE_CACHE_SECONDS = {"default": 3600, "github": 0}
    investigate_user("nvie")
    before = len(github_replay.requests)

    investigate_user("nvie")

    assert len(github_replay.requests) == before + 4


@pytest.mark.django_db
def test_a_not_found_answer_is_cached_too(github_replay):
    _, first = investigate_user("ghost-user-x")
    before = len(github_replay.requests)

    _, second = investigate_user("ghost-user-x")

    assert first["outcome"] == second["outcome"] == "not_found"
    assert len(github_replay.requests) == before


@pytest.mark.django_db
def test_one_analysts_cached_answers_are_not_read_by_another(github_replay):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    investigate_user("jacquev6", owner=alice)
    before = len(github_replay.requests)

    _, for_bob = investigate_user("jacquev6", owner=bob)
    after_bob = len(github_replay.requests)
    _, for_alice = investigate_user("jacquev6", owner=alice)

    # Bob's run asks again (a shared cache would tell him when Alice looked); Alice's
    # second run reads her own cached answers.
    assert after_bob == before + 4 and "cache" not in for_bob
    assert len(github_replay.requests) == after_bob and for_alice["cache"]["answers"] == 4


def investigate_profile(kind: str, value: str):
    from scraping.tasks import scrape_social_media_profile_task

    target = TargetFactory(investigation=InvestigationFactory(), kind=kind, value=value)
    result = scrape_social_media_profile_task.apply(args=(target.pk,)).get()
    return result


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "value", "replay"),
    [
        ("mastodon", "alice@example.net", "mastodon_replay"),
        ("bluesky", "chriskenny.bsky.social", "bluesky_replay"),
    ],
)
def test_social_profiles_asked_again_within_the_lifetime_are_read_from_the_cache(
    kind, value, replay, request
):
    server = request.getfixturevalue(replay)
    first = investigate_profile(kind, value)
    asked = len(server.requests)

    second = investigate_profile(kind, value)

    assert first["state"] == second["state"] == "succeeded"
    assert asked >= 3  # the account and pages of posts
    assert len(server.requests) == asked
    assert second["cache"]["answers"] == asked
