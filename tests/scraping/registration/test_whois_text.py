"""The cases from real reports, and the guards of the WHOIS reading layer."""

import time
from datetime import UTC, datetime

import pytest
from whois.exceptions import WhoisUnknownDateFormatError
from whois.parser import WhoisEntry, cast_date

from investigations.errors import TransientError
from scraping.clients.whois import referral_server, split_server
from scraping.registration.dates import parse_date
from scraping.registration.record import RawDate
from scraping.registration.whois_text import parse_whois
from scraping.registration.whois_words import find_retry_after, is_throttled

# The layout of the Isle of Man registry's answers, with the date of the real report.
IM_ANSWER = """\
Domain Managers
Name: Example Holdings Limited
Domain Owners / Registrant
Name: Example Holdings Limited
Administrative Contact
Name: Example Holdings Limited
Domain Details
Name: example.im
Expiry Date: 07/12/2022 00:59:56
Name Server:ns1.example.net.
Name Server:ns2.example.net.
"""
# A registry answer whose expiry is written as zeros, every other field published.
ZERO_EXPIRY = """\
Domain Name: example.tld
Registrar: Example Registrar Ltd
Record created: 2001-05-04
Record last updated: 2020-01-02
Record expires: 0000-00-00
Name Server: ns1.example.net
Status: active
"""


def test_an_im_expiry_is_read_day_first():
    record = parse_whois("example.im", IM_ANSWER)

    assert record.expiry == datetime(2022, 12, 7, 0, 59, 56, tzinfo=UTC)
    assert record.name_servers == ["ns1.example.net", "ns2.example.net"]
    assert record.raw_dates == []


def test_an_ambiguous_slash_date_from_a_registry_of_unknown_order_is_kept_raw():
    assert parse_date("expiry", "07/12/2022 00:59:56") == RawDate(
        "expiry", "07/12/2022 00:59:56", "ambiguous"
    )


def test_a_slash_date_with_a_day_above_twelve_is_not_ambiguous():
    assert parse_date("expiry", "24/12/2020") == datetime(2020, 12, 24, tzinfo=UTC)
    assert parse_date("expiry", "12/24/2020") == datetime(2020, 12, 24, tzinfo=UTC)


def test_a_registry_stating_its_date_format_is_believed():
    text = "%% complete date format : DD/MM/YYYY\ndomain: example.re\nExpiry Date: 05/04/2030\n"

    record = parse_whois("example.re", text)

    assert record.expiry == datetime(2030, 4, 5, tzinfo=UTC)


def test_record_expires_of_zeros_is_empty_and_every_other_field_still_read():
    record = parse_whois("example.tld", ZERO_EXPIRY)

    assert record.expiry is None
    assert record.raw_dates == []
    assert record.created == datetime(2001, 5, 4, tzinfo=UTC)
    assert record.updated == datetime(2020, 1, 2, tzinfo=UTC)
    assert record.registrar == "Example Registrar Ltd"
    assert record.name_servers == ["ns1.example.net"]
    assert record.statuses == ["active"]


def test_an_unreadable_date_no_longer_costs_the_whole_answer():
    text = ZERO_EXPIRY.replace("Record expires: 0000-00-00", "Expiration Date: 0000-00-00")
    with pytest.raises(WhoisUnknownDateFormatError):
        WhoisEntry.load("example.tld", text)  # python-whois alone loses every field
    with pytest.raises(WhoisUnknownDateFormatError):
        cast_date("0000-00-00")

    record = parse_whois("example.tld", text)

    assert record.expiry is None
    assert record.registrar == "Example Registrar Ltd"
    assert record.created == datetime(2001, 5, 4, tzinfo=UTC)


def test_a_quota_text_is_transient_with_the_servers_own_wait():
    text = (
        '    Error for "google.co.uk".\n\n    The WHOIS query quota for 127.0.0.1 has been '
        "exceeded\n    and will be replenished in 50 seconds.\n"
    )

    with pytest.raises(TransientError) as caught:
        parse_whois("google.co.uk", text)

    assert caught.value.retry_after == 50.0


def test_a_disclaimer_about_rate_limits_is_not_a_rate_limit():
    text = "Access to the Whois and RDAP services is rate limited. For more\ninformation..."
    assert not is_throttled(text)
    assert not is_throttled("%ERROR:101: no entries found\n")
    assert find_retry_after("wait 7777777 seconds") == 3600.0


def test_the_registrars_server_is_found_in_thin_and_rir_answers():
    assert referral_server("   Registrar WHOIS Server: whois.markmonitor.com\n", "x") == (
        "whois.markmonitor.com"
    )
    assert referral_server("ReferralServer:  whois://whois.ripe.net:4343\n", "x") == (
        "whois.ripe.net:4343"
    )
    assert referral_server("Registrar WHOIS Server: https://example.test/whois\n", "x") is None
    assert referral_server("Whois Server: whois.nic.it\n", "whois.nic.it") is None
    assert split_server("whois.ripe.net:4343") == ("whois.ripe.net", 4343)
    assert split_server("whois.nic.it") == ("whois.nic.it", 43)


def test_python_whois_patterns_that_backtrack_without_end_are_not_run():
    # python-whois's .jp contact patterns take minutes on this recorded answer.
    path = "replay/whois/fixtures/samples/weppos_whois_parser/whois.jprs.jp/jp/"
    with open(path + "property_status_suspended.txt") as answer:
        text = answer.read()

    started = time.monotonic()
    record = parse_whois("example.jp", text + "\n" * 200)

    assert time.monotonic() - started < 2
    assert record.registered


@pytest.mark.parametrize(
    "text",
    [
        "% You have been rate limited. Please wait 60 seconds.\n",
        "Rate limited\n",
        "Number of allowed queries exceeded.\n",
        "%ERROR:201: access denied for 192.0.2.1\n% Access from your host has been denied\n",
    ],
)
def test_these_throttling_texts_are_transient(text):
    assert is_throttled(text)
    with pytest.raises(TransientError):
        parse_whois("example.com", text)
