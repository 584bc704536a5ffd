import pytest

from investigations.errors import NotFoundError, PermanentError
from investigations.models import Entity, Evidence, Relationship
from scraping.services import github
from tests.factories import graph_counts


def _keys(investigation, kind):
    return sorted(
        Entity.objects.filter(investigation=investigation, kind=kind).values_list("key", flat=True)
    )


def _links(investigation):
    return sorted(
        (r.source.key, r.kind, r.target.key)
        for r in Relationship.objects.filter(investigation=investigation).select_related(
            "source", "target"
        )
    )


@pytest.mark.django_db
def test_a_user_becomes_an_account_with_repositories_organizations_and_profile_links(
    github_replay, make_target, make_context
):
    target = make_target("github", "jacquev6")
    ctx = make_context(target)

    result = github.scrape_user(ctx, "jacquev6")

    inv = target.investigation
    account = Entity.objects.get(investigation=inv, kind="account", key="github:jacquev6")
    assert account.attributes["location"] == "Paris, France"
    assert account.attributes["company"] == "Criteo"
    assert account.attributes["created_at"] == "2010-07-09T06:10:06Z"
    assert result["repositories"] == 11
    assert "github:jacquev6/pygithub" in _keys(inv, "repository")
    assert (
        Entity.objects.get(investigation=inv, key="github:jacquev6/django").attributes["fork"]
        is True
    )
    links = _links(inv)
    assert ("github:jacquev6", "owns", "github:jacquev6/boost.hierarchicalenum") in links
    assert ("github:jacquev6", "member_of", "github:beaversoftware") in links
    assert ("github:jacquev6", "located_in", "paris, france") in links
    assert ("github:jacquev6", "links_to", "http://vincent-jacques.net") in links
    assert ("github:jacquev6", "affiliated_with", "company:criteo") in links
    assert ("github:jacquev6", "active_in", "nvie/gitflow") not in links
    assert ("github:jacquev6", "active_in", "github:nvie/gitflow") in links
    assert account.evidence.filter(url__endswith="/users/jacquev6", status_code=200).exists()


@pytest.mark.django_db
def test_scraping_the_same_user_twice_leaves_the_same_rows(
    github_replay, make_target, make_context
):
    target = make_target("github", "jacquev6")

    github.scrape_user(make_context(target), "jacquev6")
    counts = graph_counts()
    github.scrape_user(make_context(target, source="github-again"), "jacquev6")

    assert graph_counts() == counts


@pytest.mark.django_db
def test_an_organization_gives_its_public_members(github_replay, make_target, make_context):
    target = make_target("github-org", "beaversoftware")

    result = github.scrape_organization(make_context(target), "beaversoftware")

    inv = target.investigation
    assert result["members"] == 3
    members = {
        key
        for key, kind, org in _links(inv)
        if kind == "member_of" and org == "github:beaversoftware"
    }
    assert members == {"github:cjuniet", "github:jacquev6", "github:lyloa"}
    org = Entity.objects.get(investigation=inv, kind="organization", key="github:beaversoftware")
    assert org.attributes["description"] == "BeaverSoftware writes software."


@pytest.mark.django_db
def test_a_repository_gives_its_owner_contributors_and_statistics(
    github_replay, make_target, make_context
):
    target = make_target("github-repo", "pygithub/pygithub")
    ctx = make_context(target)

    result = github.scrape_repository(ctx, "pygithub/pygithub")

    inv = target.investigation
    repo = Entity.objects.get(investigation=inv, kind="repository", key="github:pygithub/pygithub")
    assert repo.attributes["stargazers_count"] == 7122
    assert repo.attributes["license"] == "LGPL-3.0"
    assert repo.attributes["contributor_stats"] == "ok"
    assert result["contributors"] == 1
    rel = Relationship.objects.get(
        investigation=inv, kind="contributes_to", source__key="github:jacquev6"
    )
    assert rel.attributes == {"contributions": 355, "commits": 355}
    assert ("github:pygithub", "owns", "github:pygithub/pygithub") in _links(inv)
    assert "languages: not available from GitHub (HTTP 404)" in ctx.notes


@pytest.mark.django_db
def test_statistics_that_stay_202_are_stored_as_pending_not_as_zero(
    github_replay, make_target, make_context
):
    from replay.http import Reply

    github_replay.queue("/repos/PyGithub/PyGithub/stats/contributors", *[Reply(202, {})] * 4)
    target = make_target("github-repo", "pygithub/pygithub")
    ctx = make_context(target)

    result = github.scrape_repository(ctx, "pygithub/pygithub")

    repo = Entity.objects.get(investigation=target.investigation, key="github:pygithub/pygithub")
    assert result["contributor_stats"] == "pending"
    assert repo.attributes["contributor_stats"] == "pending"
    assert repo.attributes["contributor_stats_authors"] is None
    assert any("still computing" in note for note in ctx.notes)


@pytest.mark.django_db
def test_an_unknown_user_is_not_found(github_replay, make_target, make_context):
    target = make_target("github", "thisusershouldreallynotexist")

    with pytest.raises(NotFoundError, match="not found"):
        github.scrape_user(make_context(target), "thisusershouldreallynotexist")

    evidence = Evidence.objects.get(investigation=target.investigation)
    assert (evidence.status_code, evidence.outcome) == (404, "not_found")


@pytest.mark.django_db
def test_a_hostile_profile_is_stored_as_plain_text(github_replay, make_target, make_context):
    # Script, a spreadsheet formula, an escaped NUL, bytes that are not UTF-8 and a huge bio.
    bio = (
        rb"<script>alert(\"x\")</script>\u0000=HYPERLINK(\"http://evil\") "
        + b"\xff\xfe"
        + b"A" * 50_000
    )
    body = (
        b'{"login": "mallory", "type": "User", "blog": "javascript:alert(1)",'
        b' "location": "<b>x</b>", "bio": "' + bio + b'"}'
    )
    github_replay.add("/users/mallory", body)
    target = make_target("github", "mallory")

    github.scrape_user(make_context(target), "mallory")

    account = Entity.objects.get(investigation=target.investigation, key="github:mallory")
    stored = account.attributes["bio"]
    # The NUL shows as U+FFFD (nothing silently merged); so do the broken bytes.
    assert stored.startswith(
        '<script>alert("x")</script>\ufffd=HYPERLINK("http://evil") \ufffd\ufffdAAA'
    )
    assert "\x00" not in stored
    assert len(stored) < 10_100 and stored.endswith("…[truncated]")
    assert (
        Entity.objects.get(investigation=target.investigation, kind="location").name == "<b>x</b>"
    )


@pytest.mark.django_db
def test_items_of_an_odd_shape_are_skipped_and_counted(github_replay, make_target, make_context):
    github_replay.add("/users/odd", {"login": "odd", "type": "User", "followers": float("inf")})
    github_replay.add(
        "/users/odd/repos",
        [
            "a string",
            None,
            {"full_name": "../../evil/<script>"},
            {"name": "no-full-name"},
            {"full_name": "odd/fine", "owner": {"login": None}},
        ],
        list_items=True,
    )
    github_replay.add(
        "/users/odd/orgs", [{"login": "ok-org"}, {"login": "bad login"}], list_items=True
    )
    target = make_target("github", "odd")
    ctx = make_context(target)

    result = github.scrape_user(ctx, "odd")

    inv = target.investigation
    assert result["repositories"] == 5
    assert _keys(inv, "repository") == ["github:odd/fine"]
    assert _keys(inv, "organization") == ["github:ok-org"]
    assert Entity.objects.get(investigation=inv, key="github:odd").attributes["followers"] is None
    assert "6 items of an odd shape in GitHub's answers were skipped" in ctx.notes
    assert not any("evil" in r.path for r in github_replay.requests)


@pytest.mark.django_db
def test_a_repository_answer_with_an_odd_full_name_goes_no_further(
    github_replay, make_target, make_context
):
    github_replay.add("/repos/evil/repo", {"full_name": "../../evil/<script>", "id": 1})
    target = make_target("github-repo", "evil/repo")

    with pytest.raises(PermanentError, match="has no valid full name"):
        github.scrape_repository(make_context(target), "evil/repo")

    assert [r.path for r in github_replay.requests] == ["/repos/evil/repo"]


@pytest.mark.django_db
def test_statistics_refused_for_a_huge_repository_leave_the_rest(
    github_replay, make_target, make_context
):
    from replay.http import Reply

    github_replay.queue(
        "/repos/PyGithub/PyGithub/stats/contributors",
        Reply(
            422, {"message": "The history or contributor list is too large to list contributors"}
        ),
    )
    target = make_target("github-repo", "pygithub/pygithub")
    ctx = make_context(target)

    result = github.scrape_repository(ctx, "pygithub/pygithub")

    assert result["contributor_stats"] == "not collected"
    assert result["contributors"] == 1
    assert any(
        n.startswith("contributor statistics: not collected: GitHub answered HTTP 422")
        for n in ctx.notes
    )


@pytest.mark.django_db
def test_a_renamed_repository_is_linked_to_its_old_name_by_id(
    github_replay, make_target, make_context
):
    target = make_target("github", "jacquev6")
    github.scrape_user(make_context(target), "jacquev6")
    github.scrape_repository(
        make_context(
            make_target("github-repo", "pygithub/pygithub", investigation=target.investigation)
        ),
        "pygithub/pygithub",
    )

    assert ("github:jacquev6/pygithub", "same_as", "github:pygithub/pygithub") in _links(
        target.investigation
    )
