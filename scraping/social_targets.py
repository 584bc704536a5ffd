"""Validation of the social target kinds: ``username:``, ``mastodon:`` and ``bluesky:``.

Registered with ``investigations.targets.register_normaliser`` when the app starts, so
the pages, the API and ``manage.py investigate`` accept these kinds.
"""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from investigations.targets import TargetError, quoted

MAX_USERNAME = 100
# Characters that would change the address a name is put into, or are never in a name.
_USERNAME_FORBIDDEN = set("/\\?#%&<>\"'`{}|^ \t")
_MASTODON_USER = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,62}[a-z0-9_])?$", re.IGNORECASE)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DID = re.compile(r"^did:(?:plc:[a-z2-7]{24}|web:[a-z0-9.-]+)$")


def normalise_username(value: str) -> str:
    # One form for names typed composed or decomposed ("é" as one or two code points).
    name = unicodedata.normalize("NFC", value).strip().removeprefix("@")
    if not name:
        raise TargetError("A username is empty.")
    if len(name) > MAX_USERNAME:
        raise TargetError(f"A username has at most {MAX_USERNAME} characters; got {len(name)}.")
    if any(ch in _USERNAME_FORBIDDEN or unicodedata.category(ch)[0] in "CZ" for ch in name):
        raise TargetError(
            f"{quoted(value)} is not a username: no spaces, slashes, quotes or "
            "characters such as ? # % & < >."
        )
    if "@" in name:
        raise TargetError(
            f"{quoted(value)} is not a username: no '@' inside (for a Mastodon handle, "
            "write mastodon:user@instance)."
        )
    if not any(ch.isalnum() for ch in name):
        raise TargetError(f"{quoted(value)} is not a username: it needs a letter or a digit.")
    return name


def _refuse_address_or_port(value: str, host: str, what: str) -> None:
    """A host named by an IP address or with a port is refused: the sources reach an
    instance by its name on the standard port, and an address is never a handle's home."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise TargetError(
            f"{quoted(value)} names an IP address; a {what} is given by its host name, "
            "such as example.social."
        )
    if ":" in host or "[" in host:
        raise TargetError(
            f"{quoted(value)} has a port or brackets; give the {what} by its host name "
            "alone, such as example.social."
        )


def normalise_hostname(value: str, what: str) -> str:
    host = value.strip().rstrip(".").lower()
    _refuse_address_or_port(value, host, what)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise TargetError(f"{quoted(value)} is not a valid {what}.") from exc
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise TargetError(f"{quoted(value)} is not a valid {what}, such as example.social.")
    if labels[-1].isdigit():
        # No top-level domain is a number; such a name is an address in disguise (127.1).
        raise TargetError(f"{quoted(value)} ends in a number, which no {what} does.")
    return host


def normalise_mastodon(value: str) -> str:
    """``user@instance`` (also ``@user@instance`` or the profile address), lower case."""
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        path = parts.path.strip("/")
        if not path.startswith("@") or "/" in path:
            raise TargetError(f"{quoted(value)} is not a Mastodon profile address (/@user).")
        text = f"{path}@{parts.netloc.rpartition('@')[2]}"
    user, sep, instance = text.removeprefix("@").partition("@")
    if not sep or not user or not instance:
        raise TargetError(f"{quoted(value)} is not a Mastodon handle: write user@instance.")
    # ASCII checked apart: the pattern ignores case, and [a-z] then also matches look-alike
    # letters such as the Kelvin sign, which lower-case to a different, real account.
    if not user.isascii() or not _MASTODON_USER.match(user):
        raise TargetError(
            f"{quoted(user)} is not a Mastodon username: letters, digits and underscores."
        )
    return f"{user.lower()}@{normalise_hostname(instance, 'Mastodon instance')}"


def normalise_bluesky(value: str) -> str:
    """A handle in lower case (``alice.bsky.social``, a bare name gets ``.bsky.social``),
    or a DID as it is."""
    text = value.strip().removeprefix("@")
    if text.lower().startswith("did:"):
        did = text.lower() if text.lower().startswith("did:plc:") else text
        if not _DID.match(did.lower()):
            raise TargetError(f"{quoted(value)} is not a Bluesky DID (did:plc:... or did:web:...).")
        return did.lower()
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[0] != "profile":
            raise TargetError(f"{quoted(value)} is not a Bluesky profile address.")
        return normalise_bluesky(segments[1])
    if "." not in text:
        text = f"{text}.bsky.social"
    return normalise_hostname(text, "Bluesky handle")
