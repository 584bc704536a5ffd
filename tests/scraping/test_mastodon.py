import pytest

from investigations.errors import NotFoundError, PermanentError
from investigations.models import Entity, Evidence, Relationship
from replay.http import Reply
from scraping.clients.mastodon import MastodonClient
from scraping.services.social import mastodon
from scraping.tasks import scrape_social_media_profile_task


@pytest.fixture
def scrape(mastodon_replay, make_target, make_context):
    def run(handle: str, **target_options):
        target = make_target("mastodon", handle, **target_options)
        ctx = make_context(target, source=mastodon.SOURCE)
        return target, ctx, mastodon.scrape_profile(ctx, handle)

    return run


def keys(investigation_id, kind):
    return set(
        Entity.objects.filter(investigation_id=investigation_id, kind=kind).values_list(
            "key", flat=True
        )
    )


@pytest.mark.django_db
def test_a_handle_whose_api_is_on_another_host_is_resolved_through_webfinger(
    scrape, mastodon_replay
):
    # Case from real reports: the handle's domain (example.net) is not the host serving
    # the API (social.example.net); the handle is matched without regard to case.
    target, ctx, result = scrape("alice@example.net")

    assert result["api_host"] == "social.example.net"
    webfinger = mastodon_replay.requests_to("example.net", "/.well-known/webfinger")
    assert webfinger[0].query["resource"] == "acct:alice@example.net"
    lookup = mastodon_replay.requests_to("social.example.net", "/api/v1/accounts/lookup")
    assert lookup[0].query["acct"] == "Alice"
    account = Entity.objects.get(
        investigation=target.investigation, kind="account", key="mastodon:alice@example.net"
    )
    assert account.name == "@Alice@example.net"
    assert account.attributes["api_host"] == "social.example.net"
    assert account.attributes["bio"] == "Writes about #osint and maps."


@pytest.mark.django_db
def test_verified_profile_links_become_url_and_domain_entities(scrape):
    target, _, result = scrape("alice@example.net")

    assert result["profile_links"] == 2
    link = Relationship.objects.get(
        investigation=target.investigation, kind="links_to", target__key="https://alice.example.net"
    )
    assert link.attributes == {
        "field": "Website",
        "verified": True,
        "verified_at": "2023-01-10T08:00:00.000+00:00",
    }
    unverified = Relationship.objects.get(
        investigation=target.investigation,
        kind="links_to",
        target__key="https://git.example.org/alice",
    )
    assert unverified.attributes["verified"] is False
    assert {"alice.example.net", "git.example.org"} <= keys(target.investigation_id, "domain")


@pytest.mark.django_db
def test_posts_keep_time_language_mentions_hashtags_and_links(scrape):
    target, _, result = scrape("alice@example.net")

    assert result["posts"] == 3
    post = Entity.objects.get(
        investigation=target.investigation,
        kind="post",
        key="mastodon:https://social.example.net/users/Alice/statuses/111000000000000002",
    )
    assert post.attributes["posted_at"] == "2024-02-20T09:30:00.000Z"
    assert post.attributes["language"] == "en"
    assert post.attributes["mentions"] == ["bob@other.example.org"]
    assert post.attributes["hashtags"] == ["osint"]
    assert post.attributes["links"] == ["https://blog.example.net/2024/tip"]
    assert (
        post.attributes["text"]
        == "@bob thanks for the #OSINT tip, write-up at blog.example.net/2024/tip"
    )
    mentioned = Relationship.objects.get(source=post, kind="mentions").target
    assert mentioned.key == "mastodon:bob@other.example.org"
    local = Entity.objects.get(investigation=target.investigation, key="mastodon:carol@example.net")
    assert local.kind == "account"
    assert "blog.example.net" in keys(target.investigation_id, "domain")


@pytest.mark.django_db
def test_statuses_are_read_page_by_page_following_the_link_header(
    scrape, mastodon_replay, settings
):
    settings.MASTODON_PAGE_SIZE = 4

    target, _, result = scrape("mastodonpy_test@mastodonpy.test")

    assert result["posts"] == 10
    pages = mastodon_replay.requests_to(
        "mastodonpy.test", "/api/v1/accounts/117020565966271181/statuses"
    )
    assert [r.query.get("max_id") for r in pages] == [
        None,
        "117020580496489811",
        "117020580467310235",
        "117020580452511285",
    ]
    assert all(r.query["limit"] == "4" for r in pages)
    texts = Entity.objects.filter(investigation=target.investigation, kind="post").values_list(
        "attributes__text", flat=True
    )
    assert sorted(texts) == sorted(f"Toot number {n}!" for n in range(10))


@pytest.mark.django_db
def test_the_page_limit_stops_reading_and_says_so(scrape, settings):
    settings.MASTODON_PAGE_SIZE = 4
    settings.MASTODON_MAX_PAGES = 2

    _, ctx, result = scrape("mastodonpy_test@mastodonpy.test")

    assert result["posts"] == 8
    assert ctx.notes == ["statuses: stopped after 2 pages (MASTODON_MAX_PAGES)"]


@pytest.mark.django_db
def test_an_unknown_account_is_not_found_with_the_instance_answer(scrape):
    with pytest.raises(NotFoundError, match="Record not found"):
        scrape("nobody@mastodonpy.test")


@pytest.mark.django_db
def test_a_hostile_bio_is_stored_as_plain_text_and_never_as_markup(scrape, mastodon_replay):
    mastodon_replay.add_account(
        "evil.example",
        {
            "id": "66",
            "username": "mallory",
            "acct": "mallory",
            "display_name": "<img src=x onerror=alert(1)>",
            "note": "<p>hi<script>alert('x')</script><style>p{}</style> there</p>" + "A" * 20000,
            "fields": [
                {
                    "name": "Site",
                    "value": '<a href="javascript:alert(1)">x</a>',
                    "verified_at": None,
                }
            ],
        },
    )

    target, _, _ = scrape("mallory@evil.example")

    account = Entity.objects.get(investigation=target.investigation, kind="account")
    assert account.attributes["bio"].startswith("hi there")
    assert "script" not in account.attributes["bio"] and "alert" not in account.attributes["bio"]
    assert account.attributes["bio"].endswith("…[truncated]")
    assert account.attributes["display_name"] == "<img src=x onerror=alert(1)>"
    assert not Entity.objects.filter(investigation=target.investigation, kind="url").exists()


@pytest.mark.django_db
def test_an_answer_with_broken_bytes_keeps_the_rest(scrape, mastodon_replay):
    body = b'{"id":"7","username":"eve","acct":"eve","note":"<p>caf\xe9 \xff\xfe</p>","fields":[]}'
    mastodon_replay.queue("broken.example", "/api/v1/accounts/lookup", Reply(200, body))

    target, _, _ = scrape("eve@broken.example")

    account = Entity.objects.get(investigation=target.investigation, kind="account")
    assert account.attributes["bio"] == "caf\ufffd \ufffd\ufffd"


@pytest.mark.django_db
@pytest.mark.parametrize("account_id", ["../../../admin/accounts", "7/statuses?x=", "7\n", True])
def test_an_account_id_that_is_not_one_is_refused_before_it_goes_into_a_path(
    scrape, mastodon_replay, account_id
):
    body = {"id": account_id, "username": "eve", "acct": "eve", "note": "", "fields": []}
    mastodon_replay.queue("odd.example", "/api/v1/accounts/lookup", Reply(200, body))

    with pytest.raises(PermanentError, match="with an account id that is not one"):
        scrape("eve@odd.example")

    assert [r.path for r in mastodon_replay.requests_to("odd.example")] == [
        "/.well-known/webfinger",
        "/api/v1/accounts/lookup",
    ]


@pytest.mark.django_db
def test_account_ids_of_other_servers_of_the_api_are_accepted(scrape, mastodon_replay):
    # GoToSocial answers ULIDs; the statuses path carries the id as it is.
    ulid = "01F8MH1H7YV1Z7D2C8K2730QBF"
    body = {"id": ulid, "username": "gts", "acct": "gts", "note": "", "fields": []}
    mastodon_replay.queue("gts.example", "/api/v1/accounts/lookup", Reply(200, body))
    mastodon_replay.queue("gts.example", f"/api/v1/accounts/{ulid}/statuses", Reply(200, []))

    _, _, result = scrape("gts@gts.example")

    assert result["posts"] == 0
    assert (
        mastodon_replay.requests_to("gts.example")[-1].path == f"/api/v1/accounts/{ulid}/statuses"
    )


def test_statuses_of_an_id_that_is_not_an_account_id_are_not_asked_for():
    with pytest.raises(PermanentError, match="is not a Mastodon account id"):
        MastodonClient().statuses("example.social", "1/../../admin")


@pytest.mark.django_db
def test_the_same_scrape_twice_adds_nothing(scrape, mastodon_replay):
    target, ctx, _ = scrape("alice@example.net")
    counts = lambda: (  # noqa: E731
        Entity.objects.filter(investigation=target.investigation).count(),
        Relationship.objects.filter(investigation=target.investigation).count(),
        Evidence.objects.filter(investigation=target.investigation).count(),
    )
    before = counts()

    mastodon.scrape_profile(ctx, "alice@example.net")

    assert counts() == before
    assert before[0] > 10


@pytest.mark.django_db
def test_without_an_override_a_private_instance_address_is_refused(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    client = MastodonClient()

    resolution = client.resolve("alice", "127.0.0.1")
    with pytest.raises(
        PermanentError, match="resolves to 127.0.0.1, a private, loopback or link-local address"
    ):
        client.lookup(resolution)

    assert "WebFinger at 127.0.0.1 failed" in resolution.note


@pytest.mark.django_db
def test_the_profile_task_collects_a_mastodon_target_and_records_its_job(
    mastodon_replay, make_target
):
    target = make_target("mastodon", "alice@example.net")

    result = scrape_social_media_profile_task.apply(args=(target.pk,)).get()

    assert result["state"] == "succeeded"
    assert result["posts"] == 3
    job = target.jobs.get()
    assert (job.name, job.state) == ("mastodon", "succeeded")
