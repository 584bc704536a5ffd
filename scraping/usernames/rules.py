"""Which names a site can hold, and the improbable names used for control checks."""

import re
import secrets
import string

from .manifest import Site

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


def control_name(site: Site, *, attempts: int = 12) -> str | None:
    """A random name no one would hold, valid under the site's own rules, or None."""
    rules = site.rules
    length = max(rules.min_length, min(_CONTROL_LENGTH, rules.max_length))
    for alphabet in _ALPHABETS:
        for _ in range(attempts // len(_ALPHABETS) + 1):
            first = secrets.choice(alphabet.replace(string.digits, "") or alphabet)
            name = first + "".join(secrets.choice(alphabet) for _ in range(length - 1))
            if rules.allows(name):
                return name
    # Some rules ask for an exact shape (digits only, a length range): try every length.
    for size in range(rules.min_length, min(rules.max_length, 32) + 1):
        for alphabet in _ALPHABETS:
            name = "".join(secrets.choice(alphabet) for _ in range(size))
            if rules.allows(name):
                return name
    return None
