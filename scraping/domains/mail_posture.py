"""E-mail authentication records read from their TXT text: SPF (RFC 7208), DMARC
(RFC 7489), MTA-STS (RFC 8461) and TLS reporting (RFC 8460).

Each reader takes the TXT strings found at the record's name and returns a plain dict
for the graph, with ``errors`` listing what the RFC says makes the record unusable (two
SPF records, a DMARC record without a policy...) instead of raising: a broken record is
itself a finding about the domain.
"""

import re
from typing import Any

SPF_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
# Terms that make the receiver look something up in the DNS; RFC 7208 allows ten.
SPF_LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
SPF_MAX_LOOKUPS = 10
SPF_MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
DMARC_POLICIES = frozenset({"none", "quarantine", "reject"})
_SPF_START = re.compile(r"^v=spf1(\s|$)", re.I)
_DMARC_START = re.compile(r"^v\s*=\s*DMARC1\s*(;|$)", re.I)
_STS_START = re.compile(r"^v\s*=\s*STSv1\s*(;|$)", re.I)
_TLSRPT_START = re.compile(r"^v\s*=\s*TLSRPTv1\s*(;|$)", re.I)


def _tags(record: str) -> dict[str, str]:
    """``a=b; c=d`` as a dict; names lower-cased, the first of a repeated tag kept."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name and name not in tags:
            tags[name] = value.strip()
    return tags


def read_spf(texts: list[str]) -> dict[str, Any]:
    """The SPF policy of a domain from its TXT records (all of them, any kind)."""
    records = [t for t in texts if _SPF_START.match(t.strip())]
    if not records:
        return {"present": False}
    result: dict[str, Any] = {"present": True, "record": records[0], "errors": []}
    if len(records) > 1:
        result["errors"].append(
            f"{len(records)} SPF records: receivers must treat this as an error (permerror)"
        )
    mechanisms, includes, lookups = [], [], 0
    for term in records[0].split()[1:]:
        name, sep, value = term.partition("=")
        if sep and ":" not in name and "/" not in name:  # a modifier: redirect=, exp=
            result[name.lower()] = value
            lookups += name.lower() in SPF_LOOKUP_TERMS
            continue
        qualifier = term[0] if term[0] in SPF_QUALIFIERS else "+"
        body = term[1:] if term[0] in SPF_QUALIFIERS else term
        kind, _, argument = body.partition(":")
        kind = kind.split("/")[0].lower()
        if kind not in SPF_MECHANISMS:
            result["errors"].append(f"unknown term {term[:60]!r}")
            continue
        lookups += kind in SPF_LOOKUP_TERMS
        if kind == "include":
            includes.append(argument)
        mechanisms.append(
            {"qualifier": SPF_QUALIFIERS[qualifier], "mechanism": kind, "value": argument}
        )
    all_term = next((m for m in mechanisms if m["mechanism"] == "all"), None)
    result.update(
        mechanisms=mechanisms,
        includes=includes,
        all=all_term["qualifier"] if all_term else None,
        dns_lookups=lookups,
    )
    if lookups > SPF_MAX_LOOKUPS:
        result["errors"].append(
            f"{lookups} terms need DNS lookups at the top level alone; at most "
            f"{SPF_MAX_LOOKUPS} are allowed"
        )
    return result


def read_dmarc(texts: list[str]) -> dict[str, Any]:
    """The DMARC policy from the TXT records at ``_dmarc.<domain>``."""
    records = [t for t in texts if _DMARC_START.match(t.strip())]
    if not records:
        return {"present": False}
    tags = _tags(records[0])
    result: dict[str, Any] = {"present": True, "record": records[0], "errors": []}
    if len(records) > 1:
        result["errors"].append(f"{len(records)} DMARC records: receivers ignore them all")
    policy = tags.get("p", "").lower()
    if policy not in DMARC_POLICIES:
        result["errors"].append(
            f"policy p={policy!r} is not none, quarantine or reject" if policy else "no policy (p=)"
        )
    subdomain_policy = tags.get("sp", "").lower() or None
    pct = tags.get("pct", "100")
    result.update(
        policy=policy if policy in DMARC_POLICIES else None,
        subdomain_policy=subdomain_policy if subdomain_policy in DMARC_POLICIES else None,
        percent=int(pct) if pct.isdigit() and int(pct) <= 100 else None,
        rua=_uris(tags.get("rua", "")),
        ruf=_uris(tags.get("ruf", "")),
        adkim="strict" if tags.get("adkim", "r").lower() == "s" else "relaxed",
        aspf="strict" if tags.get("aspf", "r").lower() == "s" else "relaxed",
        failure_options=tags.get("fo"),
    )
    if result["percent"] is None:
        result["errors"].append(f"pct={pct!r} is not a number from 0 to 100")
    result["enforced"] = result["policy"] in ("quarantine", "reject") and not result["errors"]
    return result


def _uris(value: str) -> list[str]:
    return [uri.strip() for uri in value.split(",") if uri.strip()]


def read_mta_sts(texts: list[str]) -> dict[str, Any]:
    """MTA-STS presence from the TXT records at ``_mta-sts.<domain>``.

    The policy file itself is served over HTTPS at ``mta-sts.<domain>``; reading it is
    web fetching, which this module does not do.
    """
    records = [t for t in texts if _STS_START.match(t.strip())]
    if not records:
        return {"present": False}
    identifier = _tags(records[0]).get("id", "")
    errors = []
    if len(records) > 1:
        errors.append(f"{len(records)} MTA-STS records: senders must ignore them all")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", identifier):
        errors.append(f"id={identifier[:40]!r} is not 1 to 32 letters and digits")
    return {"present": True, "record": records[0], "id": identifier, "errors": errors}


def read_tls_rpt(texts: list[str]) -> dict[str, Any]:
    """SMTP TLS reporting from the TXT records at ``_smtp._tls.<domain>``."""
    records = [t for t in texts if _TLSRPT_START.match(t.strip())]
    if not records:
        return {"present": False}
    return {"present": True, "record": records[0], "rua": _uris(_tags(records[0]).get("rua", ""))}
