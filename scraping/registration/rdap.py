"""RDAP domain answers (RFC 9083) to a ``RegistrationRecord``."""

from typing import Any

from .dates import parse_date
from .normalise import normalise_dnssec, normalise_name_servers, normalise_statuses
from .record import RawDate, RegistrationRecord

_EVENTS = {"registration": "created", "last changed": "updated", "expiration": "expiry"}
_REDACTED = ("redacted", "not disclosed", "withheld", "data protected")


def related_links(data: dict[str, Any]) -> list[str]:
    """The registrar's own RDAP address for this domain, as "related" links give it."""
    links = []
    for link in data.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "related":
            continue
        href = link.get("href") or ""
        kind = (link.get("type") or "application/rdap+json").lower()
        if href.startswith("https://") or href.startswith("http://"):
            if "rdap" in kind and "/domain/" in href.lower() and href not in links:
                links.append(href)
    return links


def parse_rdap(domain: str, data: Any, *, server: str = "") -> RegistrationRecord:
    if not isinstance(data, dict) or data.get("objectClassName", "domain") != "domain":
        raise ValueError("not an RDAP domain object")
    record = RegistrationRecord(domain=domain, source="rdap", server=server)
    for event in data.get("events") or []:
        if not isinstance(event, dict):
            continue
        name = _EVENTS.get(str(event.get("eventAction", "")).lower())
        if name and getattr(record, name) is None:
            parsed = parse_date(name, str(event.get("eventDate") or ""))
            if isinstance(parsed, RawDate):
                record.raw_dates.append(parsed)
            elif parsed is not None:
                setattr(record, name, parsed)
    record.statuses = normalise_statuses(s for s in data.get("status") or [] if isinstance(s, str))
    record.name_servers = normalise_name_servers(
        ns.get("ldhName", "") for ns in data.get("nameservers") or [] if isinstance(ns, dict)
    )
    secure = data.get("secureDNS")
    if isinstance(secure, dict) and "delegationSigned" in secure:
        record.dnssec = normalise_dnssec(str(bool(secure["delegationSigned"])))
    for entity in _entities(data):
        roles = [str(r).lower() for r in entity.get("roles") or []]
        card = _vcard(entity)
        if "registrar" in roles and not record.registrar:
            record.registrar = card.get("org") or card.get("fn", "")
            record.registrar_iana_id = _iana_id(entity)
            record.registrar_url = card.get("url", "")
        if "registrant" in roles:
            organization = card.get("org") or (card.get("fn") if card.get("kind") == "org" else "")
            if organization and not record.registrant_organization:
                record.registrant_organization = organization
            if card.get("country") and not record.registrant_country:
                record.registrant_country = card["country"]
    return record


def _entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Entities at the top and one level down (a registrar's abuse contact sits inside)."""
    found = []
    for entity in data.get("entities") or []:
        if isinstance(entity, dict):
            found.append(entity)
            found.extend(e for e in entity.get("entities") or [] if isinstance(e, dict))
    return found


def _iana_id(entity: dict[str, Any]) -> str:
    for public_id in entity.get("publicIds") or []:
        if isinstance(public_id, dict) and "iana" in str(public_id.get("type", "")).lower():
            return str(public_id.get("identifier") or "")
    return ""


def _vcard(entity: dict[str, Any]) -> dict[str, str]:
    """The few jCard (RFC 7095) properties used here; redacted values left out."""
    card: dict[str, str] = {}
    array = entity.get("vcardArray")
    if not (isinstance(array, list) and len(array) == 2 and isinstance(array[1], list)):
        return card
    for prop in array[1]:
        if not (isinstance(prop, list) and len(prop) >= 4):
            continue
        name, params, _, value = str(prop[0]).lower(), prop[1], prop[2], prop[3]
        if name in ("fn", "kind", "url") and isinstance(value, str):
            card.setdefault(name, value.strip())
        elif name == "org":
            text = value[0] if isinstance(value, list) and value else value
            if isinstance(text, str):
                card.setdefault("org", text.strip())
        elif name == "adr":
            country = ""
            if isinstance(params, dict) and isinstance(params.get("cc"), str):
                country = params["cc"]
            elif isinstance(value, list) and len(value) >= 7 and isinstance(value[6], str):
                country = value[6]
            if country.strip():
                card.setdefault("country", country.strip())
    return {k: v for k, v in card.items() if v and not v.lower().startswith(_REDACTED)}
