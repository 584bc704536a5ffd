import pytest

from investigations.errors import NotFoundError, TransientError
from investigations.models import Entity, Evidence, Relationship
from investigations.targets import parse_target
from replay.http import Reply
from scraping.services.social import bluesky

CHRIS_DID = "did:plc:wpe35pganb6d4pg4ekmfy6u5"


@pytest.fixture
def scrape(bluesky_replay, make_target, make_context):
    def run(text: str):
        parsed = parse_target(text)
        target = make_target(parsed.kind, parsed.value)
        ctx = make_context(target, source=bluesky.SOURCE)
        return target, ctx, bluesky.scrape_profile(ctx, parsed.value)

    return run


@pytest.mark.django_db
def test_a_mixed_case_handle_resolves_as_the_lowercase_handle(scrape, bluesky_replay):
    # Case from real reports.
    target, _, result = scrape("bluesky:ChrisKenny.BSky.Social")

    assert target.value == "chriskenny.bsky.social"
    resolve = bluesky_replay.requests_to("com.atproto.identity.resolveHandle")
    assert [r.query["handle"] for r in resolve] == ["chriskenny.bsky.social"]
    assert bluesky_replay.requests_to("app.bsky.actor.getProfile")[0].query["actor"] == CHRIS_DID
    account = Entity.objects.get(investigation=target.investigation, key=f"bluesky:{CHRIS_DID}")
    assert (account.kind, account.name) == ("account", "@chriskenny.bsky.social")
    assert result["handle"] == "chriskenny.bsky.social"


@pytest.mark.django_db
def test_the_author_feed_is_read_page_by_page_with_its_cursor(scrape, bluesky_replay, settings):
    settings.BLUESKY_PAGE_SIZE = 20

    target, _, result = scrape("bluesky:chriskenny.bsky.social")

    feed = bluesky_replay.requests_to("app.bsky.feed.getAuthorFeed")
    assert [r.query.get("cursor") is None for r in feed] == [True, False, False]
    assert all(r.query["limit"] == "20" for r in feed)
    items = bluesky_replay.feeds[CHRIS_DID]
    own = [i for i in items if "reason" not in i]
    assert result["posts"] == len(own)
    assert result["reposts_skipped"] == len(items) - len(own)
    assert Entity.objects.filter(investigation=target.investigation, kind="post").count() == len(
        own
    )


@pytest.mark.django_db
def test_posts_keep_time_languages_mentions_tags_and_links(scrape, bluesky_replay):
    target, _, _ = scrape("bluesky:chriskenny.bsky.social")

    posts = Entity.objects.filter(investigation=target.investigation, kind="post")
    first = posts.get(
        key="bluesky:at://did:plc:wpe35pganb6d4pg4ekmfy6u5/app.bsky.feed.post/3lof7sovfok2h"
    )
    assert first.attributes["posted_at"] == "2025-05-05T01:30:17.912Z"
    assert first.attributes["language"] == "en"
    assert (
        first.attributes["url"]
        == "https://bsky.app/profile/chriskenny.bsky.social/post/3lof7sovfok2h"
    )
    assert first.attributes["reply_to"].startswith("at://did:plc:z4cp3uwgxiioi7uaxn2boq47/")
    linked = [p for p in posts if p.attributes["links"]]
    assert linked, "the recorded feed has posts with link facets or external embeds"
    for post in linked:
        for href in post.attributes["links"]:
            assert (
                Relationship.objects.filter(
                    source=post, kind="links_to", target__key=href.lower()
                ).exists()
                or Relationship.objects.filter(source=post, kind="links_to").exists()
            )
    assert Entity.objects.filter(investigation=target.investigation, kind="domain").exists()


@pytest.mark.django_db
def test_facets_become_mentions_links_and_hashtags():
    item = {
        "post": {
            "uri": "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3abc",
            "author": {"handle": "alice.example"},
            "record": {
                "text": "hi @bob see example.org #OSINT",
                "createdAt": "2025-01-01T00:00:00Z",
                "langs": ["en", "de"],
                "facets": [
                    {
                        "features": [
                            {
                                "$type": "app.bsky.richtext.facet#mention",
                                "did": "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb",
                            }
                        ]
                    },
                    {
                        "features": [
                            {
                                "$type": "app.bsky.richtext.facet#link",
                                "uri": "https://example.org/x",
                            }
                        ]
                    },
                    {"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "OSINT"}]},
                ],
                "embed": {
                    "$type": "app.bsky.embed.external",
                    "external": {"uri": "https://news.example.com/a"},
                },
            },
        }
    }

    post = bluesky.feed_item_to_post(item)

    assert post.mentions == [
        ("bluesky:did:plc:bbbbbbbbbbbbbbbbbbbbbbbb", "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb")
    ]
    assert post.links == ["https://example.org/x", "https://news.example.com/a"]
    assert post.hashtags == ["osint"]
    assert (post.language, post.extra["languages"]) == ("en", ["en", "de"])
    assert post.url == "https://bsky.app/profile/alice.example/post/3abc"


@pytest.mark.django_db
def test_an_unknown_handle_is_not_found(scrape):
    with pytest.raises(NotFoundError, match="Unable to resolve handle"):
        scrape("bluesky:nobody-here.bsky.social")


@pytest.mark.django_db
def test_a_rate_limit_is_transient_with_the_wait(scrape, bluesky_replay):
    bluesky_replay.queue(
        "com.atproto.identity.resolveHandle",
        Reply(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {"retry-after": "12"},
        ),
    )

    with pytest.raises(TransientError) as caught:
        scrape("bluesky:chriskenny.bsky.social")

    assert caught.value.retry_after == 12.0


@pytest.mark.django_db
def test_a_hostile_description_is_kept_as_text_and_its_addresses_as_unverified_links(
    scrape, bluesky_replay
):
    bluesky_replay.add_profile(
        {
            "did": "did:plc:cccccccccccccccccccccccc",
            "handle": "mallory.example",
            "description": "<script>alert(1)</script>\x00 see https://evil.example/x. "
            + "B" * 12000,
        }
    )

    target, _, _ = scrape("bluesky:mallory.example")

    account = Entity.objects.get(investigation=target.investigation, kind="account")
    # The NUL shows as U+FFFD, so nothing is silently joined.
    assert account.attributes["bio"].startswith(
        "<script>alert(1)</script>\ufffd see https://evil.example/x."
    )
    assert account.attributes["bio"].endswith("…[truncated]")
    link = Relationship.objects.get(source=account, kind="links_to")
    assert (link.target.key, link.attributes) == (
        "https://evil.example/x",
        {"field": "description", "verified": False},
    )


@pytest.mark.django_db
def test_the_same_scrape_twice_adds_nothing(scrape):
    target, ctx, _ = scrape("bluesky:chriskenny.bsky.social")
    counts = lambda: (  # noqa: E731
        Entity.objects.filter(investigation=target.investigation).count(),
        Relationship.objects.filter(investigation=target.investigation).count(),
        Evidence.objects.filter(investigation=target.investigation).count(),
    )
    before = counts()

    bluesky.scrape_profile(ctx, "chriskenny.bsky.social")

    assert counts() == before


def test_a_feed_item_by_another_author_is_not_the_targets_post():
    from scraping.services.social.bluesky import feed_item_to_post

    item = {
        "post": {
            "uri": "at://did:plc:someoneelse/app.bsky.feed.post/1",
            "author": {"did": "did:plc:someoneelse", "handle": "else.example"},
            "record": {"text": "not the target's words", "createdAt": "2025-01-01T00:00:00Z"},
        }
    }

    assert feed_item_to_post(item, author_did="did:plc:target") is None
    assert (
        feed_item_to_post(item, author_did="did:plc:someoneelse").text == "not the target's words"
    )
