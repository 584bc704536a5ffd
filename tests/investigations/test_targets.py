import pytest

from investigations.targets import ParsedTarget, TargetError, parse_target, parse_targets


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


def test_many_targets_are_deduplicated_and_bad_ones_reported_each():
    parsed, errors = parse_targets(["github:nvie", "GITHUB:NVIE", "github:-x", "nonsense"])

    assert parsed == [ParsedTarget("github", "nvie")]
    assert [text for text, _ in errors] == ["github:-x", "nonsense"]
