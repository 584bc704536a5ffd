"""What a WHOIS server says in words: "slow down" and "no such domain".

Rate-limit and quota texts are checked before anything else: several registries end
them with their usual "no entries found" line (AFNIC does), which must never be read as
"not registered".
"""

import re

_THROTTLED = re.compile(
    r"|".join(
        (
            r"quota\b.{0,60}\bexceeded",
            r"limit\s+exceeded",
            r"limit\s+reached",
            r"queries\s+per\s+(?:hour|day|minute)\s+reached",
            r"too\s+many\s+(?:requests|queries|connections)",
            r"exceeded\s+(?:the\s+)?(?:allowed\s+)?(?:query|request|connection)",
            r"try\s+again\s+later",
            r"server\s+too\s+busy",
            r"service\s+(?:is\s+)?temporarily\s+unavailable",
            r"still\s+in\s+grace\s+period,\s+wait",
            r"excessive\s+querying,\s+grace\s+period",
            r"ip\s+address\s+(?:is\s+)?blocked",
            r"access\s+control\s+limit",
            r"whois\s+limit\s+exceeded",
            r"daily\s+whois-limit",
            r"connection\s+refused;\s+access",
            # "You have been rate limited" or a line that starts so; not a disclaimer's
            # "access to this service is rate limited".
            r"(?:been|are|currently)\s+rate[\s-]?limited",
            r"(?:^|\n)[%#\s]*rate[\s-]?limited\b",
            r"allowed\s+(?:queries|requests|lookups)\s+(?:has\s+been\s+|have\s+been\s+)?exceeded",
            # RIPE and the other RIRs on its software: "%ERROR:201: access denied".
            r"%\s*error:\s*201\b",
        )
    ),
    re.IGNORECASE,
)
_RETRY_AFTER = re.compile(
    r"(?:replenished\s+in|wait|after|in|grace\s+period\s+of)\s+(\d{1,7})\s*"
    r"(seconds?|secs?|minutes?|mins?|hours?)",
    re.IGNORECASE,
)
_UNITS = {"s": 1, "m": 60, "h": 3600}
# The longest wait taken from a server's text; a longer stated wait (one registry says
# "wait 7777777 seconds") is capped and left to the task's retry backoff.
MAX_RETRY_AFTER = 3600.0

_NOT_FOUND = re.compile(
    r"|".join(
        (
            r"^\s*no\s+match(?:\s+for)?\b",
            r"^\s*not\s+found\b",
            r"^\s*no\s+(?:data|entries|object|information)\s+(?:was\s+)?found",
            r"^%*\s*no\s+entries\s+found",
            r"^\s*domain\s+not\s+found",
            r"^\s*the\s+queried\s+object\s+does\s+not\s+exist",
            r"^\s*status:\s*(?:free|available|not\s+registered|no\s+object\s+found)\s*$",
            r"^\s*domain\s+status:\s*(?:available|free|no\s+object\s+found)\s*$",
            r"^\s*%?\s*\S+\s+is\s+(?:available|free)\b",
            r"^\s*this\s+domain\s+name\s+has\s+not\s+been\s+registered",
            r"^\s*the\s+domain\s+has\s+not\s+been\s+registered",
            r"^\s*no\s+such\s+domain",
            r"^\s*object\s+does\s+not\s+exist",
            r"^\s*%\s*no\s+match",
            r"^\s*nothing\s+found",
            r"object_not_found",
            r"\bnot\s+registred\b",
            r"^\s*there\s+is\s+no\s+information\s+available\s+on\s+the\s+domain",
            r"^\s*no\s+matching\s+record",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)


# A registry that still answers, with less detail, when a client goes too fast
# (registro.br: "Query rate limit exceeded. Reduced information.").
_REDUCED = re.compile(r"reduced\s+information", re.IGNORECASE)


def is_throttled(text: str) -> bool:
    return bool(_THROTTLED.search(text or "")) and not _REDUCED.search(text or "")


def find_retry_after(text: str) -> float | None:
    """Seconds the server asks us to wait, when its text says."""
    match = _RETRY_AFTER.search(text or "")
    if not match:
        return None
    seconds = int(match.group(1)) * _UNITS[match.group(2)[0].lower()]
    return float(min(seconds, MAX_RETRY_AFTER))


def is_not_found(text: str) -> bool:
    return bool(_NOT_FOUND.search(text or ""))


_RESERVED = re.compile(
    r"|".join(
        (
            r"^\s*name\s+is\s+reserved\b",
            r"^\s*reserved\s+by\s+(?:the\s+)?registry",
            r"in\s+the\s+reserved\s+list",
            r"^\s*the\s+domain\s+you\s+requested\s+is\s+prohibited",
            r"^\s*status:\s*reserved\s*$",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
_INVALID = re.compile(
    r"|".join(
        (
            r"contravenes\s+the\s+\w+(?:\s+\w+)?\s+naming\s+rules",
            r"non\s+bijective\s+ace-idn",
            r"^\s*%?\s*error:\s*55000000010\b",
            r"^\s*invalid\s+(?:domain\s+)?name\b",
            r"^\s*status:\s*invalid\s*$",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)


def is_reserved(text: str) -> bool:
    return bool(_RESERVED.search(text or ""))


def is_invalid(text: str) -> bool:
    return bool(_INVALID.search(text or ""))
