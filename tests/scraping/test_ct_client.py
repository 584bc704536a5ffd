import json

import pytest

from investigations.errors import PermanentError, TransientError
from replay.ct.server import FIXTURES
from replay.http import Reply
from scraping.clients.ct import CtClient
from scraping.http import HttpClient


@pytest.fixture
def ct(ct_replay):
    return CtClient(base_url=ct_replay.url, http=HttpClient(read_timeout=2))


def test_the_recorded_github_search_gives_its_certificates_with_every_name(ct, ct_replay):
    search = ct.search("github.com")

    assert ct_replay.searches() == ["%.github.com"]
    assert search.rows == 11 and len(search.certificates) == 11
    skyline = next(c for c in search.certificates if c.common_name == "skyline.github.com")
    assert skyline.names == ["skyline.github.com", "www.skyline.github.com"]
    assert skyline.issuer_ca_id == 185756
    assert skyline.log_entries == [8383197569]
    assert skyline.first_logged == "2023-01-10T23:48:41.932000+00:00"


def test_a_precertificate_and_its_certificate_are_one_certificate(ct):
    search = ct.search("xn--kche-0ra.de")

    assert search.rows == 4 and len(search.certificates) == 3
    apex = next(c for c in search.certificates if c.common_name == "xn--kche-0ra.de")
    assert apex.log_entries == [14000000001, 14000000002]
    assert apex.names == ["*.xn--kche-0ra.de", "xn--kche-0ra.de", "www.xn--kche-0ra.de"]


def test_a_domain_with_no_certificates_gives_an_empty_search(ct):
    assert ct.search("nothing-logged.example").certificates == []


def test_an_overloaded_search_is_transient_and_honours_retry_after(ct, ct_replay):
    ct_replay.queue(Reply(429, "slow down", {"retry-after": "30"}), Reply(503, "busy"))

    with pytest.raises(TransientError) as limited:
        ct.search("github.com")
    with pytest.raises(TransientError, match="answered HTTP 503"):
        ct.search("github.com")

    assert limited.value.retry_after == 30


def test_an_answer_that_is_not_json_is_a_clear_permanent_error(ct, ct_replay):
    ct_replay.queue(Reply(200, "<html><body>crt.sh is down</body></html>"))

    with pytest.raises(PermanentError, match="is not valid JSON"):
        ct.search("github.com")


def test_an_oversized_answer_is_cut_off_with_a_clear_error(ct_replay):
    rows = json.loads((FIXTURES / "github.com.json").read_text()) * 50
    ct_replay.queue(Reply(200, rows, {"content-type": "application/json"}))
    client = CtClient(base_url=ct_replay.url, http=HttpClient(max_body_bytes=4096))

    with pytest.raises(PermanentError, match="larger than the limit and was cut off"):
        client.search("github.com")


def test_a_slow_answer_is_given_up_with_a_transient_error(ct_replay):
    ct_replay.queue(Reply(200, "[]", delay=1.5))
    client = CtClient(base_url=ct_replay.url, http=HttpClient(read_timeout=0.3))

    with pytest.raises(TransientError, match="No answer from"):
        client.search("github.com")


def test_rows_that_are_not_certificates_are_skipped_and_counted(ct, ct_replay):
    ct_replay.queue(Reply(200, [{"id": 1}, "text", {"name_value": "a.example.com", "id": 2}]))

    search = ct.search("example.com")

    assert search.skipped_rows == 2
    assert search.certificates[0].names == ["a.example.com"]
