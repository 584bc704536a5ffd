import pytest

from scraping.domains.names import (
    DomainNameError,
    normalise_domain,
    parse_dns_name,
    to_ascii,
    to_unicode,
)


def test_an_idn_domain_is_stored_as_its_lowercase_a_label_and_shown_in_unicode():
    stored = normalise_domain("Küche.de")

    assert stored == "xn--kche-0ra.de"
    assert to_unicode(stored) == "küche.de"


def test_upper_case_unicode_and_a_root_dot_give_the_same_stored_name():
    assert normalise_domain("KÜCHE.DE.") == "xn--kche-0ra.de"
    assert normalise_domain("XN--KCHE-0RA.DE") == "xn--kche-0ra.de"


def test_an_a_label_that_does_not_decode_is_shown_as_it_is_without_error():
    assert to_unicode("xn--zz.example") == "xn--zz.example"
    assert to_unicode("www.xn--a.example") == "www.xn--a.example"


def test_an_emoji_domain_refused_by_idna_2008_is_still_encoded_the_idna_2003_way():
    assert to_ascii("💩.la") == "xn--ls8h.la"
    assert to_unicode("xn--ls8h.la") == "💩.la"


def test_ideographic_full_stops_separate_labels():
    assert normalise_domain("küche。de") == "xn--kche-0ra.de"


@pytest.mark.parametrize(
    "text",
    [
        "example[.]com",
        "example(.)com",
        "example[dot]com",
        "hxxps://example[.]com/path",
        "hxxp[:]//example[.]com",
        "hxxps[://]example[.]com/a?b=c#d",
        "https://user:secret@EXAMPLE.com:8443/x",
        "example.com:8080",
    ],
)
def test_defanged_indicators_and_urls_are_accepted_as_the_domain(text):
    assert normalise_domain(text) == "example.com"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.2.3.4", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("hxxp://127[.]0[.]0[.]1/", "IP address"),
        ("alice@example.com", "e-mail address"),
        ("mailto:alice@example.com/x", "e-mail address"),
        ("localhost", "single label"),
        ("exa mple.com", "spaces"),
        ("a..b.com", "empty label"),
        ("-bad.example.com", "not allowed"),
        ("under_score.com", "not allowed"),
        ("example.123", "ends in a number"),
        ("x" * 64 + ".com", "at most 63"),
        (".".join(["abcdefghij"] * 24) + ".com", "at most 253"),
        ("", "empty"),
    ],
)
def test_texts_that_are_not_domains_are_refused_with_the_reason(text, reason):
    with pytest.raises(DomainNameError, match=reason):
        normalise_domain(text)


def test_names_from_dns_data_keep_service_labels_and_wildcards_and_fold_case():
    assert parse_dns_name("_sip._tcp.ZoneTransfer.me.") == "_sip._tcp.zonetransfer.me"
    assert parse_dns_name("*.registry.github.com") == "*.registry.github.com"
    assert parse_dns_name("Www.Xn--Kche-0ra.de") == "www.xn--kche-0ra.de"


@pytest.mark.parametrize("text", ["webmaster@example.com", "192.0.2.10", "two words", "", "*."])
def test_things_in_certificate_name_fields_that_are_no_host_names_give_none(text):
    assert parse_dns_name(text) is None


def test_a_look_alike_name_mixing_scripts_is_shown_in_ascii():
    from scraping.domains.names import to_unicode

    assert to_unicode("xn--pple-43d.com") == "xn--pple-43d.com"  # "аpple": Cyrillic а + Latin
    assert to_unicode("xn--kche-0ra.de") == "küche.de"
    assert to_unicode("xn--wgv71a119e.jp") == "日本語.jp"
    assert to_unicode("xn--eckwd4c7c.xn--zckzah") == "ドメイン.テスト"
