"""Domain names as analysts type them and as DNS data carries them.

A name is stored in one form: the ASCII ("A-label") form, lower case, without the root
dot, so ``Küche.de``, ``KÜCHE.DE.`` and ``xn--kche-0ra.de`` are one key. It is shown in
Unicode where that is possible; an A-label that does not decode is shown as it is.

- ``normalise_domain(text)`` reads an analyst's input: a bare name, a URL, or a defanged
  indicator (``example[.]com``, ``hxxps://example[.]com/path``), and raises
  ``DomainNameError`` with a reason an analyst can act on.
- ``to_ascii(name)`` and ``to_unicode(name)`` convert one name, label by label.
- ``parse_dns_name(text)`` is the lenient reader for names found in DNS answers and
  certificates, which may hold service labels (``_sip._tcp``) and wildcards (``*.``).
"""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

import idna

from investigations.targets import refang

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

# Full stops that IDNA treats as label separators besides "." (UTS #46).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Labels found in DNS data may also carry underscores (service labels such as _dmarc).
_DATA_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


class DomainNameError(ValueError):
    """A text that is not a usable domain name; the message says why."""


class IpAddressError(DomainNameError):
    """The text is an IP address (``address``), not a name."""

    def __init__(self, message: str, address: str):
        super().__init__(message)
        self.address = address


def _refuse_ip_address(text: str) -> None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return
    raise IpAddressError(f"{text[:80]!r} is an IP address, not a domain name.", str(address))


def _ascii_label(label: str) -> str:
    """One label in A-label form: ASCII labels lowered, others through IDNA."""
    if label.isascii():
        return label.lower()
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError:
        pass
    # IDNA 2008 refuses symbols such as emoji that IDNA 2003 allowed and that some
    # registries still serve; encode those the older way rather than refuse the name.
    try:
        return unicodedata.normalize("NFKC", label).lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise DomainNameError(f"The label {label!r} cannot be written in ASCII: {exc}") from exc


def to_ascii(name: str) -> str:
    """The stored form of a name: A-labels, lower case, no root dot."""
    name = unicodedata.normalize("NFC", name.strip()).translate(_DOTS).rstrip(".")
    if not name:
        raise DomainNameError("The name is empty.")
    labels = name.split(".")
    if any(not label for label in labels):
        raise DomainNameError(f"{name!r} has an empty label (two dots in a row).")
    return ".".join(_ascii_label(label) for label in labels)


# Scripts written together in one name: Japanese mixes kana and ideographs, Korean
# hangul and ideographs. Any other mix in one label is how look-alikes are made.
_SCRIPT_FAMILIES = ({"CJK", "HIRAGANA", "KATAKANA"}, {"CJK", "HANGUL"})


def _scripts(label: str) -> set[str]:
    scripts = set()
    for ch in label:
        if ch.isascii() and not ch.isalpha():
            continue  # digits and hyphens go with any script
        scripts.add(unicodedata.name(ch, "UNKNOWN").split()[0])
    return scripts


def mixes_scripts(label: str) -> bool:
    """True when a label mixes scripts, as "аpple" (a Cyrillic а before Latin letters)."""
    scripts = _scripts(label)
    return len(scripts) > 1 and not any(scripts <= family for family in _SCRIPT_FAMILIES)


def _unicode_label(label: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    try:
        decoded = idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        try:
            decoded = label.encode("ascii").decode("idna")
        except UnicodeError:
            return label  # not a valid A-label: shown as it is
    # A label mixing scripts is shown in ASCII, as browsers do: "аpple.com" in
    # Unicode would read as apple.com.
    return label if mixes_scripts(decoded) else decoded


def to_unicode(name: str) -> str:
    """The form to show: each A-label decoded where it decodes and does not mix scripts,
    otherwise left as is."""
    return ".".join(_unicode_label(label) for label in name.rstrip(".").split("."))


def _check_length(name: str, shown: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise DomainNameError(
            f"{shown!r} is {len(name)} characters long in ASCII; a domain name has at most "
            f"{MAX_NAME_LENGTH}."
        )
    for label in name.split("."):
        if len(label) > MAX_LABEL_LENGTH:
            raise DomainNameError(
                f"The label {label[:20]!r}… has {len(label)} characters; at most "
                f"{MAX_LABEL_LENGTH} are allowed."
            )


def _host_of(text: str) -> str:
    """The host part of a URL or of a bare ``host[:port][/path]``."""
    candidate = text if _SCHEME.match(text) else f"//{text}"
    try:
        parts = urlsplit(candidate)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise DomainNameError(f"{text[:80]!r} is not a valid address: {exc}") from exc
    if not host:
        raise DomainNameError(f"{text[:80]!r} has no host name.")
    return host


def normalise_domain(text: str) -> str:
    """An analyst's domain input in stored form; ``DomainNameError`` says what is wrong."""
    if not isinstance(text, str):
        raise DomainNameError("A domain must be text.")
    text = unicodedata.normalize("NFC", text).strip().translate(_DOTS)
    if not text:
        raise DomainNameError("The domain is empty.")
    text = refang(text)
    if text.lower().startswith("mailto:") or (
        "@" in text and not _SCHEME.match(text) and "/" not in text
    ):
        raise DomainNameError(f"{text[:80]!r} is an e-mail address, not a domain.")
    _refuse_ip_address(text)  # before looking for a port: an IPv6 address has colons
    if any(ch in text for ch in "/?#:"):
        text = _host_of(text)
    if any(ch.isspace() for ch in text):
        raise DomainNameError(f"{text[:80]!r} contains spaces; a domain name cannot.")
    host = text.rstrip(".")
    _refuse_ip_address(host)

    name = to_ascii(host)
    _check_length(name, text)
    labels = name.split(".")
    if len(labels) < 2:
        raise DomainNameError(
            f"{text[:80]!r} has a single label; give a registered domain such as example.com."
        )
    for label in labels:
        if not _LDH_LABEL.match(label):
            raise DomainNameError(
                f"The label {to_unicode(label)!r} of {text[:80]!r} is not allowed in a domain "
                "name: use letters, digits and hyphens, not at the start or end."
            )
    if labels[-1].isdigit():
        raise DomainNameError(f"{text[:80]!r} ends in a number, which no top-level domain does.")
    return name


def parse_dns_name(text: str) -> str | None:
    """A name found in DNS data or a certificate, in stored form, or None when it is not
    a host name (an e-mail address, an IP address, free text). A leading ``*.`` is kept:
    it marks a wildcard entry."""
    text = text.strip().rstrip(".")
    wildcard = text.startswith("*.")
    body = text[2:] if wildcard else text
    if not body or any(ch.isspace() or ch in "@/:" for ch in body):
        return None
    try:
        ipaddress.ip_address(body)
    except ValueError:
        pass
    else:
        return None
    try:
        name = to_ascii(body)
        _check_length(name, body)
    except DomainNameError:
        return None
    if not all(_DATA_LABEL.match(label) for label in name.split(".")):
        return None
    return f"*.{name}" if wildcard else name


def is_within(name: str, domain: str) -> bool:
    """True when ``name`` (stored form) is ``domain`` or a name below it."""
    return name == domain or name.endswith("." + domain)
