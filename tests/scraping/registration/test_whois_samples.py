"""Data-driven: every recorded WHOIS answer parses to the values its source expects."""

import pytest

from investigations.errors import PermanentError, TransientError
from scraping.registration.normalise import normalise_statuses
from scraping.registration.record import AVAILABLE, REGISTERED, RESERVED, RegistrationRecord
from scraping.registration.whois_corrections import clean_registrar
from scraping.registration.whois_text import parse_whois

from .whois_samples import MISSING, Sample, all_samples

SAMPLES = all_samples()

# Where the source's expected value is itself wrong or invented, said field by field.
# Our value is still checked against the answer's text by the tests in test_whois_text.
SOURCE_ERRORS = {
    ("penman/microsoft.com", "registrar"): (
        "python-whois keeps the last 'Registrar:' of an old Verisign answer listing many "
        "names; the paragraph of MICROSOFT.COM itself says TUCOWS INC."
    ),
    ("mboot/example.com", "registrar"): (
        "whoisdomain reads IANA's 'organisation' as a registrar; the answer names none"
    ),
    ("mboot/example.net", "registrar"): (
        "whoisdomain reads IANA's 'organisation' as a registrar; the answer names none"
    ),
    ("mboot/meta.co.jp", "registrar"): "whoisdomain fills in the registry; JPRS names no registrar",
    ("mboot/meta.jp", "registrar"): "whoisdomain fills in the registry; JPRS names no registrar",
    ("mboot/meta.co.jp", "updated"): (
        "the answer says 2023/05/01 01:02:23 (JST), which is 2023-04-30 16:02:23 UTC; "
        "whoisdomain shifts it by 7 hours instead of 9"
    ),
    ("mboot/meta.jp", "updated"): (
        "the answer says 2022/08/01 01:05:08 (JST), which is 2022-07-31 16:05:08 UTC; "
        "whoisdomain shifts it by 7 hours instead of 9"
    ),
    ("weppos/whois.denic.de/de/status_registered.txt", "registrar"): (
        "DENIC's answer names no registrar; weppos reads the zone contact as one"
    ),
    ("weppos/whois.nic.es/es/status_registered.txt", "registrar"): (
        "the answer names no registrar; weppos fills in the registry, ES-NIC"
    ),
}


def _fold(value: str) -> str:
    return " ".join(str(value).split()).casefold().rstrip(".")


def _status_words(values) -> set[str]:
    return {
        _fold(part)
        for value in normalise_statuses(values)
        for part in str(value).split(",")
        if part.strip()
    }


def mismatches(sample: Sample, record: RegistrationRecord) -> list[str]:
    """What the record gets wrong against what the source expects, in words."""
    expected = sample.expected
    wrong = []
    # A reserved name is "registered" to weppos in some registries and not in others;
    # what must never happen is to call a registered or reserved name available.
    if expected.registered is True and record.state not in (REGISTERED, RESERVED):
        wrong.append(f"state: {record.state} where the source says registered")
    if expected.registered is False and record.state != AVAILABLE:
        wrong.append(f"state: {record.state} where the source says available")
    if not record.registered:
        return wrong
    for name, want in expected.dates.items():
        got = getattr(record, name)
        if isinstance(want, list) and got is not None and want and want[0].tzinfo is None:
            got = got.replace(tzinfo=None)  # a wall-clock expectation
        raw = [r for r in record.raw_dates if r.field == name]
        if want is None:
            if got is not None:
                wrong.append(f"{name}: {got} where the source says none")
        elif isinstance(want, tuple):
            # The source itself could only guess this written form: ours must be kept raw.
            if got is not None or not raw:
                wrong.append(f"{name}: {got} where {want[1]!r} is ambiguous")
        elif raw and got is None and all(r.reason == "ambiguous" for r in raw):
            continue  # kept raw and flagged: allowed only for a really ambiguous text
        elif got not in want:
            wrong.append(f"{name}: {got} not in {[str(w) for w in want]}")
    if expected.registrar is None and record.registrar:
        wrong.append(f"registrar: {record.registrar!r} where the source says none")
    elif expected.registrar not in (MISSING, None):
        # Both sides as the legal name: without Nominet's tag, trading name or an id.
        want = {_fold(clean_registrar(v)) for v in expected.registrar}
        if _fold(clean_registrar(record.registrar)) not in want:
            wrong.append(f"registrar: {record.registrar!r} not in {expected.registrar}")
    if expected.name_servers is not MISSING:
        want = sorted({_fold(n).split()[0] for n in expected.name_servers})
        if sorted(record.name_servers) != want:
            wrong.append(f"name servers: {record.name_servers} != {want}")
    if expected.statuses is not MISSING:
        if _status_words(record.statuses) != _status_words(expected.statuses):
            wrong.append(f"statuses: {record.statuses} != {expected.statuses}")
    if expected.dnssec is not MISSING and record.dnssec != _dnssec(expected.dnssec):
        wrong.append(f"dnssec: {record.dnssec!r} != {expected.dnssec!r}")
    for name in ("registrant_organization", "registrant_country"):
        want = getattr(expected, name)
        got = getattr(record, name)
        if want is None and got:
            wrong.append(f"{name}: {got!r} where the source says none")
        elif want not in (MISSING, None) and _fold(got) not in {_fold(v) for v in want}:
            wrong.append(f"{name}: {got!r} not in {want}")
    return [w for w in wrong if (sample.id, w.split(":")[0]) not in SOURCE_ERRORS]


def _dnssec(value: str) -> str:
    word = str(value).strip().lower()
    if word in ("yes", "signed", "signeddelegation", "true"):
        return "signed"
    if word in ("no", "unsigned", "unsigneddelegation", "false"):
        return "unsigned"
    return str(value)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_every_recorded_whois_answer_parses_to_its_expected_values(sample):
    expected = sample.expected
    if expected.throttled or expected.unavailable:
        with pytest.raises(TransientError):
            parse_whois(sample.domain, sample.text)
        return

    try:
        record = parse_whois(sample.domain, sample.text)
    except PermanentError:
        # Only an answer of which the source expects nothing may be refused as unreadable.
        assert expected.registered is None and not expected.dates, sample.id
        return

    assert mismatches(sample, record) == []
