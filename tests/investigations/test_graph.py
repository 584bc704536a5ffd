import pytest

from investigations.models import Entity, Evidence, Relationship
from investigations.services.graph import (
    GraphWriter,
    clean_value,
    merge_attributes,
    record_evidence,
    upsert_entity,
    upsert_relationship,
)


def test_an_empty_value_never_overwrites_a_good_one():
    merged = merge_attributes(
        {"location": "Paris", "bio": "old"}, {"location": "", "bio": "new", "x": None}
    )

    assert merged == {"location": "Paris", "bio": "new", "x": None}


def test_scraped_text_loses_nul_characters_and_lone_surrogates_and_is_bounded():
    assert clean_value("a\x00b") == "a\ufffdb"
    assert clean_value("bad \udcff byte") == "bad ? byte"
    long = clean_value("x" * 20_000)
    assert len(long) < 10_100 and long.endswith("…[truncated]")
    assert clean_value({"k\x00": ["v\x00"]}) == {"k\ufffd": ["v\ufffd"]}


def test_scraped_values_that_cannot_be_stored_or_would_mislead_are_made_safe():
    assert clean_value(float("nan")) is None
    assert clean_value([float("inf"), -float("inf"), 1.5]) == [None, None, 1.5]
    # A right-to-left override would show "invoice\u202egpj.exe" as "invoiceexe.jpg".
    assert clean_value("invoice\u202egpj.exe") == "invoice\ufffdgpj.exe"
    deep: list = []
    node = deep
    for _ in range(900):
        node.append([])
        node = node[0]
    cleaned = clean_value({"bio": deep})
    for _ in range(32):
        cleaned = cleaned["bio"] if isinstance(cleaned, dict) else cleaned[0]
    assert cleaned == "…[nested too deep]"


@pytest.mark.django_db
def test_the_same_entity_written_twice_is_one_row_with_merged_attributes(investigation):
    first = upsert_entity(
        investigation.pk,
        "account",
        "github:Nvie",
        name="nvie",
        attributes={"a": 1},
        source="github",
    )
    second = upsert_entity(
        investigation.pk, "account", "GITHUB:nvie ", attributes={"b": 2}, source="other"
    )

    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.key == "github:nvie"
    assert second.attributes == {"a": 1, "b": 2}
    assert second.sources == ["github", "other"]
    assert Entity.objects.filter(investigation=investigation).count() == 1


@pytest.mark.django_db
def test_the_same_relationship_written_twice_is_one_row(investigation):
    a = upsert_entity(investigation.pk, "account", "github:a")
    b = upsert_entity(investigation.pk, "repository", "github:a/r")

    upsert_relationship(a, b, "owns")
    upsert_relationship(a, b, "owns", attributes={"since": "2012"})

    assert Relationship.objects.filter(investigation=investigation).count() == 1
    assert Relationship.objects.get().attributes == {"since": "2012"}


@pytest.mark.django_db
def test_the_same_answer_to_the_same_address_is_kept_once_and_compressed(investigation):
    body = b'{"login": "nvie"}' * 100
    kwargs = {
        "investigation_id": investigation.pk,
        "target_id": None,
        "source": "github",
        "url": "http://x/users/nvie",
        "status_code": 200,
        "body": body,
    }

    first = record_evidence(**kwargs)
    second = record_evidence(**kwargs)

    assert first.pk == second.pk
    assert Evidence.objects.count() == 1
    assert len(bytes(first.body_compressed)) < len(body)
    assert Evidence.objects.get().body == body


@pytest.mark.django_db
def test_evidence_keeps_selected_headers_and_never_credentials(investigation):
    evidence = record_evidence(
        investigation_id=investigation.pk,
        target_id=None,
        source="github",
        url="http://x/",
        status_code=200,
        body=b"{}",
        headers={
            "Content-Type": "application/json",
            "ETag": '"abc"',
            "Set-Cookie": "session=secret",
            "Authorization": "Bearer ghp_secret",
        },
    )

    assert evidence.headers == {"content-type": "application/json", "etag": '"abc"'}


@pytest.mark.django_db
def test_a_writer_attaches_the_evidence_to_what_it_writes(investigation):
    class Answer:
        url, method, status, body, headers, truncated = "http://x/u", "GET", 200, b"{}", {}, False
        from_cache = False
        fetched_at = None

    writer = GraphWriter(investigation.pk, None, "github")
    evidence = writer.record(Answer())
    entity = writer.entity("account", "github:u", evidence=[evidence])

    assert list(entity.evidence.all()) == [evidence]
    assert writer.record(Answer()).pk == evidence.pk


def test_keys_keep_case_where_it_carries_meaning_and_long_keys_stay_apart():
    from investigations.services.graph import normalise_key

    assert normalise_key("account", " GitHub:NVIE ") == "github:nvie"
    assert (
        normalise_key("url", "HTTPS://Example.COM/CoryMcCartan/X?Q=1")
        == "https://example.com/CoryMcCartan/X?Q=1"
    )
    assert (
        normalise_key("post", "mastodon:https://a.example/@Bob/1")
        == "mastodon:https://a.example/@Bob/1"
    )
    base = "https://example.com/" + "a" * 600
    first, second = normalise_key("url", base + "1"), normalise_key("url", base + "2")
    assert len(first) == len(second) == 512
    assert first != second


@pytest.mark.django_db
def test_posts_of_two_platforms_with_the_same_uri_stay_two(investigation):
    from scraping.services.social.graph import Post, write_post

    writer = GraphWriter(investigation.pk, None, "social")
    uri = "at://did:plc:abc/app.bsky.feed.post/1"
    for platform, text in (("bluesky", "real"), ("mastodon", "FORGED")):
        account = writer.entity("account", f"{platform}:someone", name="someone")
        write_post(writer, account, Post(platform, uri, "", "2024-01-01", text), None, platform)

    posts = {e.key: e.attributes["text"] for e in Entity.objects.filter(kind="post")}
    assert posts == {f"bluesky:{uri}": "real", f"mastodon:{uri}": "FORGED"}
