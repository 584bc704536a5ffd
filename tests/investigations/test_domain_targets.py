import pytest

from investigations.targets import TargetError, parse_target


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("domain:Küche.de", "xn--kche-0ra.de"),
        ("Küche.de", "xn--kche-0ra.de"),
        ("example[.]com", "example.com"),
        ("hxxps://example[.]com/path", "example.com"),
        ("domain:hxxps://example[.]com/path", "example.com"),
        ("https://www.example.org/a/b?c=d", "www.example.org"),
        ("example.com/index.html", "example.com"),
        ("github.com", "github.com"),
    ],
)
def test_domains_bare_or_with_their_kind_are_accepted_in_stored_form(text, value):
    target = parse_target(text)

    assert (target.kind, target.value) == ("domain", value)


def test_a_github_address_is_still_a_github_target():
    assert str(parse_target("https://github.com/octocat")) == "github:octocat"


def test_a_domain_target_that_is_not_a_domain_says_why():
    with pytest.raises(TargetError, match="is an IP address, not a domain name"):
        parse_target("domain:192.0.2.1")


def test_a_bare_word_is_refused_with_the_kinds_including_domain():
    with pytest.raises(TargetError, match="domain:example.com"):
        parse_target("alice")
