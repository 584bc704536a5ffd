import pytest

from investigations.targets import TargetError, parse_target


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("username:alice_01", "username", "alice_01"),
        ("username:@Alice.B", "username", "Alice.B"),
        ("mastodon:Alice@Example.NET", "mastodon", "alice@example.net"),
        ("mastodon:@bob@social.example.org", "mastodon", "bob@social.example.org"),
        ("mastodon:https://social.example.net/@Carol", "mastodon", "carol@social.example.net"),
        ("bluesky:ChrisKenny.BSky.Social", "bluesky", "chriskenny.bsky.social"),
        ("bluesky:@dana", "bluesky", "dana.bsky.social"),
        ("bluesky:https://bsky.app/profile/Favstats.EU", "bluesky", "favstats.eu"),
        ("bluesky:did:plc:wpe35pganb6d4pg4ekmfy6u5", "bluesky", "did:plc:wpe35pganb6d4pg4ekmfy6u5"),
    ],
)
def test_social_targets_are_accepted_and_normalised(text, kind, value):
    target = parse_target(text)

    assert (target.kind, target.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("username:", "A username is empty"),
        ("username:a/b", "is not a username"),
        ("username:<script>", "is not a username"),
        ("username:" + "a" * 101, "at most 100 characters"),
        ("mastodon:alice", "write user@instance"),
        ("mastodon:al ice@example.net", "is not a Mastodon username"),
        ("mastodon:alice@localhost", "is not a valid Mastodon instance"),
        ("mastodon:alice@127.0.0.1", "names an IP address"),
        ("mastodon:@alice@10.0.0.5", "names an IP address"),
        ("mastodon:alice@[::1]", "names an IP address"),
        ("mastodon:https://127.0.0.1/@alice", "names an IP address"),
        ("mastodon:https://[::1]/@alice", "names an IP address"),
        ("mastodon:alice@example.social:8443", "has a port or brackets"),
        ("mastodon:https://example.social:8443/@alice", "has a port or brackets"),
        ("mastodon:alice@127.1", "ends in a number"),
        ("bluesky:192.168.1.1", "names an IP address"),
        ("bluesky:bad_handle!.bsky.social", "is not a valid Bluesky handle"),
        ("bluesky:did:plc:short", "is not a Bluesky DID"),
    ],
)
def test_bad_social_targets_are_refused_with_the_reason(text, message):
    with pytest.raises(TargetError, match=message):
        parse_target(text)


def test_a_mastodon_username_with_a_look_alike_letter_is_refused():
    with pytest.raises(TargetError, match="is not a Mastodon username"):
        parse_target("mastodon:\u212aarol@example.net")


def test_a_username_typed_decomposed_is_stored_composed():
    assert parse_target("username:e\u0301mile").value == "\u00e9mile"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("username:..", "needs a letter or a digit"),
        ("username:-_.", "needs a letter or a digit"),
        ("username:x@alexdemo42", "no '@' inside"),
    ],
)
def test_usernames_that_would_reach_another_page_or_host_are_refused(text, message):
    with pytest.raises(TargetError, match=message):
        parse_target(text)
