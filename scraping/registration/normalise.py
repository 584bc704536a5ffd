"""Values as every registration source gives them the same way."""

import re
from collections.abc import Iterable
from typing import Any

_EPP_LINK = re.compile(r"\s*\(?https?://\S*\)?\s*$")
_SIGNED = {"signed", "signeddelegation", "yes", "true", "active", "y"}
_UNSIGNED = {"unsigned", "unsigneddelegation", "no", "false", "inactive", "n", "not signed"}


def normalise_name_servers(values: Iterable[Any]) -> list[str]:
    names: list[str] = []
    for value in values:
        for token in str(value).replace(",", " ").split():
            name = token.strip().rstrip(".").lower()
            if not name or not re.fullmatch(r"[a-z0-9_\-]+(\.[a-z0-9_\-]+)+", name):
                continue
            if re.fullmatch(r"[\d.]+", name) or name.startswith("http"):
                continue  # an IPv4 address written beside the name
            if name not in names:
                names.append(name)
            break  # the first name of a line; the rest are its addresses
    return names


def normalise_statuses(values: Iterable[Any]) -> list[str]:
    statuses: list[str] = []
    for value in values:
        status = _EPP_LINK.sub("", str(value)).strip()
        if status and status not in statuses:
            statuses.append(status)
    return statuses


def normalise_dnssec(value: str) -> str:
    word = value.strip().lower().rstrip(".")
    if not word:
        return ""
    if word in _SIGNED or word.startswith("signed"):
        return "signed"
    if word in _UNSIGNED or word.startswith("unsigned"):
        return "unsigned"
    return value.strip()
