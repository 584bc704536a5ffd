"""Which names a site can hold, and the improbable names used for control checks."""

import re
import secrets
import string
from functools import lru_cache

from .manifest import Site, UsernameRules

# Shapes tried for a control name, most common first: a site that takes none of them
# gets no control check (and says so in its result).
_ALPHABETS = (
    string.ascii_lowercase + string.digits,
    string.ascii_lowercase,
    string.digits,
    string.ascii_uppercase + string.digits,
)
_CONTROL_LENGTH = 14


# A name that goes into a host name must be one DNS label.
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_valid_for(site: Site, username: str) -> bool:
    """A name the site's rules refuse is never requested there: it cannot exist. Nor is
    one that could not be part of the site's address (not a host label, for sites whose
    host holds the name; a path segment such as ".." that a server would resolve away)."""
    if username.strip(".") == "":
        return False
    if site.username_in_host and not _HOST_LABEL.match(username):
        return False
    return site.rules.allows(username)


def control_possible(site: Site) -> bool:
    """Whether the site's rules admit a control name at all (worked out once per rules:
    a run asks this of every site before it starts)."""
    return _admits_random_names(site.rules)


@lru_cache(maxsize=1024)
def _admits_random_names(rules: UsernameRules) -> bool:
    return _random_name(rules) is not None


def control_name(site: Site) -> str | None:
    """A random name no one would hold, valid under the site's own rules, or None."""
    return _random_name(site.rules) if control_possible(site) else None


def _random_name(rules: UsernameRules, *, attempts: int = 12) -> str | None:
    length = max(rules.min_length, min(_CONTROL_LENGTH, rules.max_length))
    for alphabet in _ALPHABETS:
        letters = alphabet.replace(string.digits, "") or alphabet
        for _ in range(attempts // len(_ALPHABETS) + 1):
            name = _draw(letters, 1) + _draw(alphabet, length - 1)
            if rules.allows(name):
                return name
    # Some rules ask for an exact shape (digits only, a length range): try every length.
    for size in range(rules.min_length, min(rules.max_length, 32) + 1):
        for alphabet in _ALPHABETS:
            name = _draw(alphabet, size)
            if rules.allows(name):
                return name
    return None


def _draw(alphabet: str, size: int) -> str:
    """``size`` characters of ``alphabet`` from one read of the system's random source
    (a read per character showed in a run's profile). The slight lean of a byte taken
    modulo the alphabet's length does not matter: the name needs to be improbable, not
    uniform."""
    return "".join(alphabet[byte % len(alphabet)] for byte in secrets.token_bytes(size))
