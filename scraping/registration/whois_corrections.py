"""Where python-whois reads a registry's answer wrongly or not at all, our own reading
of the labelled values (``whois_fields``) corrects or completes it.

What python-whois gets wrong, seen in the recorded answers:
- it keeps the *last* ``Registrar:`` match, so "Created by Registrar: X" further down a
  .us or .co answer replaces the sponsoring registrar;
- it reads only the first line of multi-line blocks (.uk, .eu, .be, .ch, .it name
  servers) or picks text after the block (.uk);
- it has no fields for several layouts (.nl dates, .jp's [Last Updated], .io, .ai,
  Jisc's .ac.uk, RPSL-style registrant objects of .fr, UANIC's stamped dates).
Values python-whois did read are kept unless a more specific label says otherwise.
"""

import re
from datetime import UTC, datetime

from .dates import parse_date, slash_order
from .normalise import normalise_dnssec, normalise_name_servers
from .record import RawDate, RegistrationRecord
from .whois_fields import WhoisFields, read_fields

# Labels that name the sponsoring registrar for sure; a bare "Registrar:" is left to
# python-whois, which knows where each registry writes it.
_REGISTRAR_KEYS = (
    "sponsoring registrar",
    "registrar/organization",
    "registrar/organisation",
    "registrar/name",
    "registrar name",
)
_NAME_SERVER_KEYS = (
    "name servers",
    "nameservers",
    "domain nameservers",
    "name server",
    "nameserver",
    "nserver",
    "domain servers in listed order",
    "servers",
    "ns",
    "name servers in the listed order",
    "primary server hostname",
    "secondary server hostname",
    "third server hostname",
    "fourth server hostname",
    "nameservers/primary server hostname",
)
_STATUS_KEYS = ("domain status", "status", "registration status", "state")
_DATE_KEYS = {
    "created": (
        "creation date",
        "domain registration date",
        "domain create date",
        "registered date",
        "record created",
        "created",
        "created on",
        "registered on",
        "registered",
        "registration date",
        "date registered",
        "entry created",
        "domain record activated",
        "registration time",
    ),
    "updated": (
        "updated date",
        "domain last updated date",
        "modified date",
        "record last updated on",
        "last updated",
        "last update",
        "last modified",
        "record last updated",
        "record last updated on",
        "entry updated",
        "changed",
        "modified",
    ),
    "expiry": (
        "registry expiry date",
        "domain expiration date",
        "record expires on",
        "expiry date",
        "expiration date",
        "expires on",
        "expire date",
        "expires",
        "expiry",
        "renewal date",
        "paid-till",
        "expiration time",
        "record expires",
        "valid until",
    ),
}
_ORGANIZATION_KEYS = (
    "registrant organization",
    "registrant organisation",
    "registrant/organization",
    "registrant/organisation",
    "organization using domain name/organization name",
)
_HOLDER_BLOCKS = ("holder of domain name", "registrant", "registered for")
_COUNTRY_KEYS = (
    "registrant country code",
    "registrant country",
    "registrant/country code",
    "registrant/countrycode",
    "registrant/country",
    "organization using domain name/country",
)
# Placeholders registries write instead of a registrant (a privacy *service* that is
# named is kept: it is what the registry publishes).
_HIDDEN = re.compile(
    r"^\s*(?:not\s+shown|not\s+disclosed|redacted|withheld|data\s+protected|statutory\s+masking)"
    r"|redacted\s+for\s+privacy|please\s+visit|visit\s+www",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"^[A-Z0-9]+(?:[-.][A-Z0-9]+)+$", re.IGNORECASE)
# Words that mark a name as an organisation's, for registries that label the registrant
# only "Name" (CIRA, SGNIC): a private person's name is never taken as an organisation.
_ORGANIZATION_WORDS = re.compile(
    r"\b(?:inc|ltd|llc|llp|gmbh|ag|corp|corporation|company|co|pte|plc|s\.?a|sas|sarl|bv|nv|"
    r"limited|ltda|srl|oy|ab|as|kk|foundation|university|association|holdings)\b\.?",
    re.IGNORECASE,
)
_TAG = re.compile(r"\s*\[Tag\s*=\s*[^\]]*\]\s*$", re.IGNORECASE)
_TRAILING_ID = re.compile(r"\s*(?:\([A-Z0-9-]+\)|\bR\d+-[A-Z]{2,})\s*$")
_DIRECT = re.compile(r"registered\s+directly\s+with\s+(.+?)\.?\s*$", re.IGNORECASE)
_STAMP = re.compile(r"(?:^|\s)(\d{14}|\d{8})$")
# Expiry written into a status: UANIC "OK-UNTIL 20140903121852", JPRS "Connected (2010/09/30)".
_UNTIL = re.compile(
    r"until\s+(\d{8}(?:\d{6})?)\b|^connected\s+\((\d{4}/\d\d/\d\d)\)", re.IGNORECASE
)


def apply_corrections(record: RegistrationRecord, text: str) -> None:
    fields = read_fields(text)
    _registrar(record, fields, text)
    _name_servers(record, fields)
    _statuses(record, fields)
    _domain_object_dates(record, text)
    _dates(record, fields, text)
    _registrant(record, fields)
    if not record.dnssec:
        record.dnssec = normalise_dnssec(fields.first("dnssec"))


def clean_registrar(name: str) -> str:
    """The registrar's legal name: without Nominet's ``[Tag = X]``, a trading name after
    "t/a", or a registry's id after the name."""
    direct = _DIRECT.search(name)
    if direct:
        return direct.group(1).strip()
    name = _TAG.sub("", name.strip())
    name = re.split(r"\s+t/a\s+", name, maxsplit=1)[0]
    return _TRAILING_ID.sub("", name).strip()


def _registrar(record: RegistrationRecord, fields: WhoisFields, text: str) -> None:
    labelled = _own_paragraph_registrar(record.domain, text) or fields.first(*_REGISTRAR_KEYS)
    if labelled and not labelled.lower().startswith(("http", "whois.")):
        record.registrar = labelled
    if not record.registrar:
        record.registrar = fields.first("registrar")
    record.registrar = clean_registrar(record.registrar)


def _own_paragraph_registrar(domain: str, text: str) -> str:
    """Old Verisign answers list every name that starts like the query, each with its
    registrar; python-whois keeps the last one. The domain's own paragraph says which."""
    paragraph = re.search(
        rf"^\s*Domain Name:\s*{re.escape(domain)}\s*$(.*?)(?:\n\s*\n|\Z)",
        text,
        re.IGNORECASE | re.MULTILINE | re.DOTALL,
    )
    if not paragraph:
        return ""
    registrar = re.search(r"^\s*Registrar:\s*(\S.*?)\s*$", paragraph.group(1), re.MULTILINE)
    return registrar.group(1) if registrar else ""


def _name_servers(record: RegistrationRecord, fields: WhoisFields) -> None:
    values = [v for key in _NAME_SERVER_KEYS for v in fields.get(key)]
    labelled = [n for n in normalise_name_servers(values) if n != record.domain]
    if values:
        # A labelled list wins, even an empty one ("No name servers listed.").
        record.name_servers = labelled
    else:
        record.name_servers = [n for n in record.name_servers if n != record.domain]


def _statuses(record: RegistrationRecord, fields: WhoisFields) -> None:
    if not record.statuses:
        record.statuses = fields.get(*_STATUS_KEYS)
    split = []
    for status in record.statuses:
        for part in status.split(","):
            if part.strip() and part.strip() not in split:
                split.append(part.strip())
    record.statuses = split


def _dates(record: RegistrationRecord, fields: WhoisFields, text: str) -> None:
    order = slash_order(record.domain, text)
    for name, keys in _DATE_KEYS.items():
        if getattr(record, name) is not None:
            continue
        values = fields.get(*keys)
        if name == "expiry" and not values:
            statuses = record.statuses + fields.get("state")
            values = [m.group(1) or m.group(2) for s in statuses if (m := _UNTIL.search(s))]
        if not values:
            continue
        raw = values[0]
        stamp = _STAMP.search(raw)
        parsed = parse_date(name, stamp.group(1) if stamp else _unbracket(raw), order=order)
        if stamp and isinstance(parsed, RawDate):
            parsed = _parse_stamp(name, stamp.group(1))
        record.raw_dates = [r for r in record.raw_dates if r.field != name]
        if isinstance(parsed, RawDate):
            record.raw_dates.append(parsed)
        else:
            setattr(record, name, parsed)


# RPSL-style answers (.ar, .br, .ua, .ru) hold the domain object first and then contact
# objects with their own "created:" lines; python-whois mixes them up. The domain's
# dates are read from its own object only.
_OBJECT_END = re.compile(r"^(?:contact|nic-hdl|nic-hdl-br|person|role|contact-id):", re.I)
_OBJECT_DATES = {
    "created": ("registered", "created"),
    "updated": ("changed", "modified", "last-update"),
    "expiry": ("expire", "expires", "paid-till"),
}


def _domain_object_dates(record: RegistrationRecord, text: str) -> None:
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"^domain:\s*\S", line, re.I)), None
    )
    if start is None:
        return
    values: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line.strip() or _OBJECT_END.match(line):
            break
        match = re.match(r"^([a-z-]+):\s*(.+?)\s*$", line, re.I)
        if match:
            values.setdefault(match.group(1).lower(), match.group(2))
    order = slash_order(record.domain, text)
    for name, keys in _OBJECT_DATES.items():
        raw = next((values[k] for k in keys if k in values), "")
        raw = re.sub(r"\s+#\d+$", "", raw)  # registro.br: "19990518 #162310"
        if not raw:
            continue
        parsed = parse_date(name, raw, order=order)
        if isinstance(parsed, RawDate) and re.fullmatch(r"\d{8}|\d{14}", raw):
            parsed = _parse_stamp(name, raw)
        if parsed is not None and not isinstance(parsed, RawDate):
            setattr(record, name, parsed)
            record.raw_dates = [r for r in record.raw_dates if r.field != name]


def _unbracket(value: str) -> str:
    """``2013/06/01 01:05:07 (JST)``: the zone in brackets, as dateutil wants it bare."""
    return re.sub(r"\(([A-Z]{2,5})\)\s*$", r"\1", value).strip()


def _parse_stamp(name: str, stamp: str):
    fmt = "%Y%m%d%H%M%S" if len(stamp) == 14 else "%Y%m%d"
    try:
        return datetime.strptime(stamp, fmt).replace(tzinfo=UTC)
    except ValueError:
        return RawDate(name, stamp, "unreadable")


def _registrant(record: RegistrationRecord, fields: WhoisFields) -> None:
    handle_object = {}
    for key in ("holder-c", "registrant"):
        handle = fields.first(key)
        if handle and _HANDLE.match(handle):
            handle_object = fields.object_with_handle(handle)
            if handle_object:
                break
    if _HANDLE.match(record.registrant_organization or "-") and handle_object:
        record.registrant_organization = ""  # python-whois gave the contact's handle
    if not record.registrant_organization:
        record.registrant_organization = _organization(fields, handle_object)
    if _HIDDEN.search(record.registrant_organization):
        record.registrant_organization = ""
    if record.registrant_country.endswith(":"):
        record.registrant_country = ""  # python-whois read the next label as the value
    if not record.registrant_country:
        record.registrant_country = _country(fields, handle_object)


def _organization(fields: WhoisFields, handle_object: dict[str, list[str]]) -> str:
    labelled = fields.first(*_ORGANIZATION_KEYS)
    if labelled:
        return labelled
    named = fields.first("registrant/name", "owner")
    if named and _ORGANIZATION_WORDS.search(named):
        return named
    if handle_object:
        kind = " ".join(handle_object.get("type", [])).upper()
        for key in ("org", "organization", "organisation"):
            if handle_object.get(key):
                return handle_object[key][0]
        if "ORGANIZATION" in kind and handle_object.get("contact"):
            return handle_object["contact"][0]
        return ""
    if "individual" in fields.first("registrant type").lower():
        return ""  # a private person's name is no organisation
    for block in _HOLDER_BLOCKS:
        for line in fields.get(block):
            if not _HANDLE.match(line):
                return line
    return ""


def _country(fields: WhoisFields, handle_object: dict[str, list[str]]) -> str:
    labelled = fields.first(*_COUNTRY_KEYS)
    if labelled:
        return labelled
    address = fields.get("registrant's address")
    if address:
        return address[-1]  # Nominet ends the address with the country
    if handle_object.get("country"):
        return handle_object["country"][0]
    address = fields.get("registrant/address")
    if address and re.fullmatch(r"[A-Z]{2}", address[-1]):
        return address[-1]
    return ""
