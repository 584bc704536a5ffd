"""Every recorded WHOIS sample (a copy of shared/realdata/whois kept in the replay
fixtures), with the values its source
expects, read from the three formats the sources use (see PROVENANCE.md there).

A field is compared only where the source states a value. Where weppos states ``nil``
the field must be empty; the JSON and text dumps of python-whois and whoisdomain write
null for "not read" as well as for "not published", so a null there is not compared.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3] / "replay" / "whois" / "fixtures" / "samples"
MISSING = object()


@dataclass
class Expected:
    registered: bool | None = None  # True registered, False available, None not stated
    throttled: bool = False
    unavailable: bool = False  # the server said it cannot answer now
    dates: dict[str, Any] = field(default_factory=dict)  # name -> None or list of datetimes
    registrar: Any = MISSING  # None (must be empty) or acceptable names
    name_servers: Any = MISSING
    statuses: Any = MISSING
    dnssec: Any = MISSING
    registrant_organization: Any = MISSING
    registrant_country: Any = MISSING


@dataclass
class Sample:
    id: str
    domain: str
    text: str
    expected: Expected


def _as_datetime(text: str) -> datetime:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            value = datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    raise ValueError(f"not a date this loader knows: {text!r}")


# -- richardpenman/whois: JSON of python-whois's own output ------------------------------


def _penman() -> list[Sample]:
    base = ROOT / "richardpenman_whois"
    samples = []
    for raw in sorted((base / "raw").iterdir()):
        data = json.loads((base / "expected" / f"{raw.name}.json").read_text())
        expected = Expected()
        for name, key in (
            ("created", "creation_date"),
            ("updated", "updated_date"),
            ("expiry", "expiration_date"),
        ):
            value = data.get(key)
            if value:
                values = value if isinstance(value, list) else [value]
                expected.dates[name] = [_as_datetime(v) for v in values]
        if data.get("registrar"):
            expected.registrar = [data["registrar"]]
        if data.get("name_servers"):
            servers = data["name_servers"]
            expected.name_servers = servers if isinstance(servers, list) else [servers]
        if data.get("status"):
            status = data["status"]
            expected.statuses = status if isinstance(status, list) else [status]
        if data.get("dnssec"):
            expected.dnssec = data["dnssec"]
        expected.registered = True
        samples.append(
            Sample(f"penman/{raw.name}", raw.name, raw.read_text(errors="replace"), expected)
        )
    return samples


# -- mboot-github/python-whois (whoisdomain): a text dump of its parsed fields ----------

_MBOOT_LINE = re.compile(r"^(\w+)\s+(\S+)\s+(.*)$")


def _mboot() -> list[Sample]:
    base = ROOT / "mboot_whoisdomain"
    samples = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        fields = {}
        for line in (folder / "output").read_text().splitlines():
            match = _MBOOT_LINE.match(line)
            if match and match.group(1) != "test":
                fields[match.group(1)] = (match.group(2), match.group(3).strip())
        lines = (folder / "input").read_text(errors="replace").splitlines()
        while lines and lines[0].startswith("["):
            lines.pop(0)  # the whois(1) tool's own "[Querying ...]" lines
        expected = Expected(registered=True)
        for name, key in (
            ("created", "creation_date"),
            ("updated", "last_updated"),
            ("expiry", "expiration_date"),
        ):
            kind, value = fields.get(key, ("NoneType", ""))
            if kind == "datetime.datetime":
                expected.dates[name] = [_as_datetime(value)]
        literal = {k: _literal(v) for k, (_, v) in fields.items()}
        if literal.get("registrar"):
            expected.registrar = [literal["registrar"]]
        if literal.get("name_servers"):
            expected.name_servers = literal["name_servers"]
        if literal.get("statuses"):
            expected.statuses = literal["statuses"]
        if literal.get("registrant"):
            expected.registrant_organization = [literal["registrant"]]
        if literal.get("registrant_country"):
            expected.registrant_country = [literal["registrant_country"]]
        if "dnssec" in fields:
            expected.dnssec = "signed" if literal["dnssec"] is True else MISSING
        samples.append(Sample(f"mboot/{folder.name}", folder.name, "\n".join(lines), expected))
    return samples


def _literal(text: str) -> Any:
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    if text.startswith("[") or text.startswith("'"):
        import ast

        return ast.literal_eval(text)
    return text


# -- weppos/whois-parser: ".expected" specifications ------------------------------------

_SECTION = re.compile(r"^#(\S+)\s*$")
_TIME = re.compile(r"%TIME\{([^}]*)\}")
_EQ = re.compile(r"^%s(\S*)\s*==\s*(.+)$")


def _ruby_value(text: str) -> Any:
    text = text.strip()
    if text == "nil":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith(":"):
        return ("symbol", text[1:])
    if text.startswith('"') or text.startswith("["):
        return json.loads(text)
    return ("other", text)


def _weppos_time(text: str) -> datetime | str:
    text = text.strip()
    zone = re.search(r"\s+(UTC|GMT|JST|[+-]\d\d:?\d\d)$", text)
    offset = "+00:00"
    if zone:
        text = text[: zone.start()]
        word = zone.group(1)
        offset = {"UTC": "+00:00", "GMT": "+00:00", "JST": "+09:00"}.get(word, word)
        if len(offset) == 5:
            offset = offset[:3] + ":" + offset[3:]
    text = text.replace("T", " ").rstrip("Z")
    if re.fullmatch(r"\d\d/\d\d/\d\d", text):
        return text  # weppos reads this two-digit form with Ruby's guess; kept as written
    if len(text) == 10:
        text += " 00:00:00"
    if not zone:
        # Without a zone, weppos's spec is the registry's wall-clock time (Ruby reads it
        # in the test machine's zone): compared as wall-clock time.
        return datetime.fromisoformat(text)
    return datetime.fromisoformat(text + offset)


def _weppos_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = _SECTION.match(line.strip())
        if match:
            current = match.group(1)
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    return sections


def _weppos_expected(sections: dict[str, list[str]]) -> Expected:
    expected = Expected()
    for key, flag in (("registered?", "registered"), ("available?", "available")):
        for line in sections.get(key, []):
            match = _EQ.match(line)
            if match and _ruby_value(match.group(2)) is True:
                expected.registered = flag == "registered"
    for line in sections.get("response_throttled?", []) + sections.get("response_blocked?", []):
        if line.endswith("== true"):
            expected.throttled = True
    for line in sections.get("response_unavailable?", []):
        if line.endswith("== true"):
            expected.unavailable = True
    for name, key in (
        ("created", "created_on"),
        ("updated", "updated_on"),
        ("expiry", "expires_on"),
    ):
        for line in sections.get(key, []):
            time = _TIME.search(line)
            if line.startswith("%s ==") and _ruby_value(line[5:]) is None:
                expected.dates[name] = None
            elif time and line.startswith("%s %TIME"):
                value = _weppos_time(time.group(1))
                expected.dates[name] = [value] if isinstance(value, datetime) else ("raw", value)
    expected.registrar = _weppos_registrar(sections.get("registrar", []))
    expected.name_servers = _weppos_list(sections.get("nameservers", []), "name")
    status = [_EQ.match(line) for line in sections.get("status", [])]
    for match in status:
        if match and not match.group(1):
            value = _ruby_value(match.group(2))
            if isinstance(value, list):
                expected.statuses = value
    contact = sections.get("registrant_contacts", [])
    organization = _weppos_attribute(contact, "[0].organization")
    name = _weppos_attribute(contact, "[0].name")
    # Compared only where weppos states an organisation; its contact *name* may be a
    # person or a role (registro.br's owner-c), which is no registrant organisation.
    if organization not in (MISSING, None):
        expected.registrant_organization = [organization]
    if any("%SIZE{0}" in line for line in contact):
        expected.registrant_organization = None
    countries = [
        c
        for c in (
            _weppos_attribute(contact, "[0].country_code"),
            _weppos_attribute(contact, "[0].country"),
        )
        if c not in (MISSING, None)
    ]
    if countries:
        expected.registrant_country = countries
    return expected


def _weppos_attribute(lines: list[str], suffix: str) -> Any:
    for line in lines:
        match = _EQ.match(line)
        if match and match.group(1) == suffix:
            value = _ruby_value(match.group(2))
            return value if not isinstance(value, tuple) else MISSING
    return MISSING


def _weppos_registrar(lines: list[str]) -> Any:
    if any(line.replace(" ", "") == "%s==nil" for line in lines):
        return None
    names = [
        value
        for attribute in (".name", ".organization", ".id")
        if (value := _weppos_attribute(lines, attribute)) not in (MISSING, None)
    ]
    return names or MISSING


def _weppos_list(lines: list[str], attribute: str) -> Any:
    if any("%SIZE{0}" in line or line.replace(" ", "") == "%s==[]" for line in lines):
        return []
    values = {}
    for line in lines:
        match = _EQ.match(line)
        index = re.fullmatch(r"\[(\d+)\]\." + attribute, match.group(1)) if match else None
        if index:
            values[int(index.group(1))] = _ruby_value(match.group(2))
    return [values[i] for i in sorted(values)] if values else MISSING


def _weppos() -> list[Sample]:
    base = ROOT / "weppos_whois_parser"
    samples = []
    for txt in sorted(base.rglob("*.txt")):
        spec = txt.with_suffix(".expected")
        sections = _weppos_sections(spec.read_text()) if spec.exists() else {}
        expected = _weppos_expected(sections)
        domain = _weppos_attribute(sections.get("domain", []), "")
        suffix = txt.parent.relative_to(base).parts[-1]
        if suffix in ("uaepp", "uanic"):
            suffix = "ua"
        text = txt.read_text(errors="replace")
        if not isinstance(domain, str) or "." not in domain:
            named = re.search(r"^\s*domain(?:\s+name)?\s*[:.]+\s*(\S+\.\S+)\s*$", text, re.I | re.M)
            domain = named.group(1) if named else f"example.{suffix}"
        samples.append(
            Sample(
                f"weppos/{txt.relative_to(base)}",
                domain.lower().rstrip("."),
                text,
                expected,
            )
        )
    return samples


def all_samples() -> list[Sample]:
    return _penman() + _mboot() + _weppos()
