"""Dates from registration data, read safely.

WHOIS servers write dates in dozens of ways. Unambiguous forms (ISO 8601, month names,
year first) are read with python-whois's own date reader. Numeric dates with slashes are
the trap: ``07/12/2022`` is 7 December in one registry and 12 July in another. Such a date
is read only when its order is certain (a part above 12, a registry whose order is known,
or a registry that states its format in the answer); otherwise it is kept as written and
flagged, never guessed. A date of all zeros means "not set" and is empty.
"""

import re
from datetime import UTC, datetime

from whois.exceptions import WhoisError
from whois.parser import cast_date

from .record import RawDate

DAY_FIRST = "dmy"
MONTH_FIRST = "mdy"

# Registries known to write numeric slash dates day first. .im: the Isle of Man registry
# writes "Expiry Date: 07/12/2022 00:59:56" for 7 December 2022 (a real report).
SLASH_ORDER_BY_SUFFIX: dict[str, str] = {"im": DAY_FIRST}

# Some registries state their format in the answer's header (AFNIC: "complete date
# format : DD/MM/YYYY"); that statement wins over any table.
_STATED_FORMAT = re.compile(r"date format\s*:\s*(DD/MM|MM/DD)/YYYY", re.IGNORECASE)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})(?P<rest>(?:[ T].*)?)$"
)
_ZERO = re.compile(r"^[0\-/.:\sT]+$")
_NOT_SET = {"-", "--", "n/a", "na", "none", "not defined", "not defined.", "null", "unknown"}


def slash_order(domain: str, text: str = "") -> str | None:
    """The order of day and month in this registry's slash dates, when it is known."""
    stated = _STATED_FORMAT.search(text or "")
    if stated:
        return DAY_FIRST if stated.group(1).upper() == "DD/MM" else MONTH_FIRST
    labels = domain.lower().rstrip(".").split(".")
    for start in range(len(labels)):
        order = SLASH_ORDER_BY_SUFFIX.get(".".join(labels[start:]))
        if order:
            return order
    return None


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_date(field: str, text: str, *, order: str | None = None) -> datetime | RawDate | None:
    """One written date as an aware datetime, ``None`` when it says "not set", or a
    ``RawDate`` when it cannot be read without guessing."""
    value = " ".join((text or "").split())
    if not value or value.lower() in _NOT_SET or _ZERO.match(value):
        return None

    numeric = _NUMERIC.match(value)
    if numeric:
        return _parse_numeric(field, value, numeric, order)
    try:
        parsed = cast_date(value)
    except (WhoisError, ValueError, OverflowError):
        return RawDate(field, value, "unreadable")
    return aware(parsed) if isinstance(parsed, datetime) else RawDate(field, value, "unreadable")


def _parse_numeric(field: str, value: str, match: re.Match, order: str | None):
    a, b, c = match.group("a"), match.group("b"), match.group("c")
    sep, rest = match.group("sep"), match.group("rest").strip()
    if len(a) == 4:  # year first: 2000/01/02, 2000-01-02, 2000.01.02
        year, month, day = int(a), int(b), int(c)
    elif len(c) != 4:
        # A two-digit year: 16/09/03 could be any of three dates.
        return RawDate(field, value, "ambiguous")
    else:
        first, second, year = int(a), int(b), int(c)
        if sep in ".-":
            # Dotted and dashed numeric dates are written day first (08.03.2014,
            # 20-10-2000); month first is a slash habit.
            day, month = first, second
        elif first > 12 or first == second:
            day, month = first, second
        elif second > 12:
            day, month = second, first
        elif order == DAY_FIRST:
            day, month = first, second
        elif order == MONTH_FIRST:
            day, month = second, first
        else:
            return RawDate(field, value, "ambiguous")
    try:
        date = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return RawDate(field, value, "unreadable")
    if not rest:
        return date
    return _with_time(field, value, date, rest)


def _with_time(field: str, value: str, date: datetime, rest: str) -> datetime | RawDate:
    """The time part after a numeric date, read by the same date reader."""
    try:
        parsed = cast_date(f"{date:%Y-%m-%d} {rest}")
    except (WhoisError, ValueError, OverflowError):
        return RawDate(field, value, "unreadable")
    return aware(parsed) if isinstance(parsed, datetime) else RawDate(field, value, "unreadable")
