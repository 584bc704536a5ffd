"""The normalised registration record that RDAP and WHOIS answers are both turned into."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Keys of the dates a record carries; the same names are used in entity attributes.
DATE_FIELDS = ("created", "updated", "expiry")
REGISTERED = "registered"
AVAILABLE = "available"  # the registry says no such domain is registered
RESERVED = "reserved"  # held back by the registry: neither registered nor available
INVALID = "invalid"  # a name the registry cannot register at all
STATES = (REGISTERED, AVAILABLE, RESERVED, INVALID)


@dataclass
class RawDate:
    """A date written in a way that cannot be read safely (an ambiguous day/month order
    from a registry whose order is unknown, or a value no format matches). It is kept
    as written and flagged, never guessed."""

    field: str
    text: str
    reason: str


@dataclass
class RegistrationRecord:
    domain: str
    source: str  # "rdap" or "whois"
    state: str = "registered"  # one of STATES
    registrar: str = ""
    registrar_iana_id: str = ""
    registrar_url: str = ""
    created: datetime | None = None
    updated: datetime | None = None
    expiry: datetime | None = None
    name_servers: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    dnssec: str = ""  # "signed", "unsigned" or the registry's own word
    registrant_organization: str = ""
    registrant_country: str = ""
    raw_dates: list[RawDate] = field(default_factory=list)
    server: str = ""  # the RDAP base address or WHOIS server that answered

    @property
    def registered(self) -> bool:
        return self.state == REGISTERED

    def fill_from(self, other: "RegistrationRecord") -> None:
        """Complete this record (the registry's) with what the registrar's answer adds;
        the registry's own values stay."""
        for name in (
            "registrar",
            "registrar_iana_id",
            "registrar_url",
            *DATE_FIELDS,
            "name_servers",
            "statuses",
            "dnssec",
            "registrant_organization",
            "registrant_country",
        ):
            if getattr(self, name) in (None, "", []) and getattr(other, name) not in (None, "", []):
                setattr(self, name, getattr(other, name))
        known = {raw.field for raw in self.raw_dates}
        self.raw_dates += [
            raw
            for raw in other.raw_dates
            if raw.field not in known and getattr(self, raw.field) is None
        ]

    def attributes(self) -> dict[str, Any]:
        """The record as entity attributes: dates in ISO 8601, empty fields left out so
        that they never overwrite what an earlier, fuller answer said."""
        data = asdict(self)
        for name in DATE_FIELDS:
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        data["raw_dates"] = [asdict(raw) for raw in self.raw_dates]
        data.pop("domain")
        return {name: value for name, value in data.items() if value not in (None, "", [])}
