"""WHOIS text to a ``RegistrationRecord``, with python-whois's parser doing the reading.

python-whois knows the field labels of many registries (``WhoisEntry.load`` picks the
registry's parser by suffix). This layer adds what it gets wrong or leaves out:

- a rate-limit or quota answer is a ``TransientError`` before anything else is read,
  because such texts often end with "no entries found" and would otherwise read as "not
  registered";
- "not registered" is told from the registry's own words, not from missing fields;
- dates are read again from the raw values with ``dates.parse_date``: an all-zero date
  is empty, an ambiguous slash date is kept raw and flagged, and one unreadable date no
  longer throws the whole answer away;
- values are normalised (name servers lower case without IP addresses or trailing dot,
  statuses without their ICANN link, DNSSEC as signed/unsigned).
"""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from whois.exceptions import WhoisDomainNotFoundError, WhoisUnknownDateFormatError
from whois.parser import WhoisEntry

from investigations.errors import PermanentError, RateLimited

from .dates import parse_date, slash_order
from .names import python_whois_name
from .normalise import normalise_dnssec, normalise_name_servers, normalise_statuses
from .record import AVAILABLE, INVALID, RESERVED, RawDate, RegistrationRecord
from .whois_corrections import apply_corrections
from .whois_words import find_retry_after, is_invalid, is_not_found, is_reserved, is_throttled

# python-whois's keys for each normalised field, in order of preference.
_REGISTRAR_KEYS = ("registrar", "registrar_name")
_ORGANIZATION_KEYS = (
    "registrant_organization",
    "registrant_org",
    "org",
    "registrant_company_name",
)
_COUNTRY_KEYS = ("registrant_country_code", "registrant_country", "country")
_DATE_KEYS = {"created": "creation_date", "updated": "updated_date", "expiry": "expiration_date"}
# Unreadable dates are blanked and the answer parsed again at most this many times.
_MAX_DATE_RETRIES = 6


def parse_whois(domain: str, text: str, *, server: str = "") -> RegistrationRecord:
    """The normalised record of one WHOIS answer for ``domain`` (an A-label).

    Raises ``TransientError`` for a rate-limit or quota answer (retry later) and
    ``PermanentError`` for an answer that is no WHOIS record at all.
    """
    if is_throttled(text):
        raise RateLimited(
            f"The WHOIS server {server or 'asked'} refused the query for now (rate limit or "
            "quota); it is retried later and nothing collected before is changed",
            retry_after=find_retry_after(text),
        )
    for state, says_so in (
        (INVALID, is_invalid),
        (RESERVED, is_reserved),
        (AVAILABLE, is_not_found),
    ):
        if says_so(text):
            return RegistrationRecord(domain=domain, source="whois", state=state, server=server)

    entry = _load(domain, text)
    if entry is None:
        return RegistrationRecord(domain=domain, source="whois", state=AVAILABLE, server=server)

    record = RegistrationRecord(domain=domain, source="whois", server=server)
    record.registrar = _first_text(entry, _REGISTRAR_KEYS)
    record.registrar_url = _first_text(entry, ("registrar_url",))
    record.name_servers = normalise_name_servers(_values(entry.get("name_servers")))
    record.statuses = normalise_statuses(_values(entry.get("status")))
    record.dnssec = normalise_dnssec(_first_text(entry, ("dnssec",)))
    record.registrant_organization = _first_text(entry, _ORGANIZATION_KEYS)
    record.registrant_country = _first_text(entry, _COUNTRY_KEYS)
    _read_dates(record, entry, text)
    apply_corrections(record, text)

    if not _has_content(record):
        if _names_domain(domain, text):
            return record  # registered, with nothing else published (registro.br, limited)
        raise PermanentError(
            "The WHOIS answer holds no registration data that could be read "
            f"({len(text)} characters); it is kept as evidence"
        )
    return record


def _load(domain: str, text: str) -> WhoisEntry | dict | None:
    """python-whois's entry for this text, ``None`` when it finds the domain not
    registered. A date it cannot read makes it fail the whole answer; such a value is
    blanked and the text parsed again (the dates are read later from the original text
    by our own reader). When that does not help, an empty reading is returned and our
    own reader does the work alone."""
    working = text
    name = python_whois_name(domain)
    parser = safe_parser_class(name)
    for _ in range(_MAX_DATE_RETRIES):
        try:
            return parser(name, working)
        except WhoisDomainNotFoundError:
            return None
        except WhoisUnknownDateFormatError as exc:
            value = str(exc).removeprefix("Unknown date format:").strip()
            if not value or value not in working:
                break
            working = working.replace(value, "")
        except Exception:  # noqa: BLE001 - hostile text may break a registry's parser code
            break
    return {}


# A repeated group that itself holds two unbounded repeats, e.g. python-whois's .jp
# contact patterns ``(?:^\s*.*\s+)*``: on a text without the line they look for, the
# regex engine tries every way to split the lines and a 3 KB answer takes minutes. WHOIS
# text comes from whoever runs the server, so such patterns are dropped before parsing.
_NESTED_REPEAT = re.compile(r"\((?:\?:)?(?:[^()]*?(?<!\\)[*+]){2,}[^()]*\)[*+{]")


def safe_parser_class(name: str) -> type:
    """python-whois's parser class for this name, without patterns that backtrack
    catastrophically."""
    try:
        parser = type(WhoisEntry.load(name, "\n"))
    except Exception:  # noqa: BLE001 - a registry's constructor may refuse an empty text
        parser = WhoisEntry
    table = getattr(parser, "regex", None) or parser._regex
    safe = {key: pattern for key, pattern in table.items() if not _is_explosive(pattern)}
    if len(safe) == len(table):
        return parser
    return type(f"Safe{parser.__name__}", (parser,), {"regex": safe, "_regex": safe})


def _is_explosive(pattern: str | None) -> bool:
    return bool(pattern) and bool(_NESTED_REPEAT.search(pattern))


def _read_dates(record: RegistrationRecord, entry: WhoisEntry | dict, text: str) -> None:
    order = slash_order(record.domain, text)
    preprocess = getattr(entry, "_data_preprocessor", None)
    regexes = getattr(entry, "_regex", {}) or {}
    for name, key in _DATE_KEYS.items():
        pattern = regexes.get(key)
        raw_values = _raw_matches(pattern, text) if pattern else []
        if not raw_values:
            raw_values = [str(v) for v in _values(entry.get(key)) if isinstance(v, str)]
        dates: list[datetime] = []
        for raw in raw_values:
            value = preprocess(raw) if preprocess and raw else raw
            parsed = parse_date(name, value, order=order)
            if isinstance(parsed, RawDate):
                record.raw_dates.append(parsed)
            elif parsed is not None:
                dates.append(parsed)
        if dates:
            # Several matches: the domain's own date comes first, contacts' dates after.
            setattr(record, name, dates[0])


def _raw_matches(pattern: str, text: str) -> list[str]:
    found = []
    for match in re.findall(pattern, text, re.IGNORECASE | re.MULTILINE):
        for value in match if isinstance(match, tuple) else (match,):
            value = value.strip()
            if value and value not in found:
                found.append(value)
    return found


def _values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v not in (None, "")]
    return [value]


def _first_text(entry: WhoisEntry | dict, keys: Iterable[str]) -> str:
    for key in keys:
        values = [str(v).strip() for v in _values(entry.get(key)) if str(v).strip()]
        if values:
            return values[0]
    return ""


def _names_domain(domain: str, text: str) -> bool:
    pattern = rf"^\s*domain(?:\s+name)?\s*[:.]+\s*{re.escape(domain)}\.?\s*$"
    return bool(re.search(pattern, text, re.IGNORECASE | re.MULTILINE))


def _has_content(record: RegistrationRecord) -> bool:
    return any(
        (
            record.registrar,
            record.created,
            record.updated,
            record.expiry,
            record.name_servers,
            record.statuses,
            record.raw_dates,
            record.registrant_organization,
        )
    )
