from scraping.webtech.fingerprints import FingerprintSet, _technology, default_set
from scraping.webtech.matcher import detect
from scraping.webtech.page import read_page


def _names(detections):
    return {d.name: d.versions for d in detections}


def test_server_http_server_unknown_detects_nothing():
    page = read_page("https://a.example/", [("Server", "HTTP server (unknown)")], "")

    assert detect(page) == []


def test_server_icewarp_detects_icewarp_with_its_version_and_nothing_else():
    page = read_page("https://a.example/", [("Server", "IceWarp/11.1.2.0")], "")

    assert _names(detect(page)) == {"IceWarp": ["11.1.2.0"]}


def test_a_pattern_does_not_fire_inside_a_longer_word():
    # Apache's published pattern ends in "(?:^|\b)HTTPD"; a plain search finds it in
    # "HTTPDaemon", which is another server.
    page = read_page("https://a.example/", [("Server", "HTTPDaemon/2.0")], "")
    assert "Apache HTTP Server" not in _names(detect(page))

    page = read_page("https://a.example/", [("Server", "Apache/2.4.41 (Ubuntu)")], "")
    assert _names(detect(page))["Apache HTTP Server"] == ["2.4.41"]


def test_meta_generator_script_sources_and_implied_technologies():
    html = (
        '<html><head><meta name="generator" content="WordPress 6.4.2">'
        '<script src="/wp-includes/js/wp-embed.min.js"></script></head></html>'
    )
    page = read_page("https://a.example/", [("X-Powered-By", "PHP/8.1.2")], html)

    found = {d.name: d for d in detect(page)}

    assert found["WordPress"].versions == ["6.4.2"]
    assert found["WordPress"].matched == ["meta generator", "script src"]
    assert found["PHP"].versions == ["8.1.2"]
    assert found["MySQL"].implied_by == "WordPress"


def test_cookies_are_matched_by_name():
    headers = [("Set-Cookie", "laravel_session=abc; path=/; httponly")]

    assert {"Laravel", "PHP"} <= set(_names(detect(read_page("https://a.example/", headers, ""))))


def test_excludes_and_requires_are_applied():
    fingerprints = FingerprintSet(
        {
            "Base": _technology("Base", {"cats": [1], "headers": {"X-Base": ""}}),
            "Addon": _technology(
                "Addon", {"cats": [2], "headers": {"X-Addon": ""}, "requires": "Base"}
            ),
            "Rival": _technology(
                "Rival", {"cats": [1], "headers": {"X-Rival": ""}, "excludes": "Base"}
            ),
        },
        {1: "CMS", 2: "Widgets"},
    )
    lone_addon = read_page("https://a.example/", [("X-Addon", "1")], "")
    with_rival = read_page("https://a.example/", [("X-Base", "1"), ("X-Rival", "1")], "")

    assert detect(lone_addon, fingerprints) == []
    assert _names(detect(with_rival, fingerprints)) == {"Rival": []}


def test_the_shipped_data_set_loads_whole():
    fingerprints = default_set()

    assert len(fingerprints.technologies) == 7587  # 7,586 published plus local IceWarp
    assert fingerprints.skipped == 0
    assert fingerprints.categories[30] == "Webmail"


def test_hostile_html_is_read_without_running_anything():
    html = (
        "<title>a\x00 &amp; b</title><meta name=generator content='Joomla! 4.0'><<<>>"
        "<script>document.write('x')</script><p <p>"
    )

    page = read_page("https://a.example/", [], html)

    assert page.title == "a\x00 & b"
    assert page.meta == {"generator": ["Joomla! 4.0"]}
    assert page.scripts == ["document.write('x')"]
