"""Target syntax: ``kind:value``, parsed, validated and normalised.

Targets are hostile input. Every rule here gives a message that says what is wrong in
words an analyst can act on, and never echoes more than a short, printable excerpt.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from . import registry
from .text import escaped

MAX_TARGET_LENGTH = 512


class TargetKind(StrEnum):
    GITHUB = "github"
    GITHUB_ORG = "github-org"
    GITHUB_REPO = "github-repo"
    USERNAME = "username"
    DOMAIN = "domain"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"


KIND_DESCRIPTIONS = {
    TargetKind.GITHUB: "github:LOGIN (a GitHub user)",
    TargetKind.GITHUB_ORG: "github-org:LOGIN (a GitHub organization)",
    TargetKind.GITHUB_REPO: "github-repo:OWNER/NAME (a GitHub repository)",
    TargetKind.USERNAME: "username:NAME (a username across many sites)",
    TargetKind.DOMAIN: "domain:example.com",
    TargetKind.MASTODON: "mastodon:USER@INSTANCE",
    TargetKind.BLUESKY: "bluesky:HANDLE",
}


class TargetError(ValueError):
    """A target that cannot be accepted; the message is meant for the analyst."""


class IpAddressValue(TargetError):
    """A normaliser found an IP address (``address``) where its kind wants a name: a
    bare value of that sort is then refused as an IP address, which no kind is."""

    def __init__(self, message: str, address: str):
        super().__init__(message)
        self.address = address


@dataclass(frozen=True)
class ParsedTarget:
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def excerpt(text: str, limit: int = 60) -> str:
    """A short rendering of hostile text for messages and lists of refused inputs.

    Every character that does not print (controls, invisible and direction characters,
    lone surrogates) is written as its escape (``\\x1b``, ``\\u202e``): neither a
    terminal nor a page ever receives it raw, and the analyst still sees what was there
    and where, which a replacement character would hide.
    """
    shown = "".join(ch if ch.isprintable() else escaped(ch) for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def quoted(text: str, limit: int = 60) -> str:
    """The excerpt in quotes, as messages name what they refuse: ``'evil\\x1b[31m'``."""
    return f"'{excerpt(text, limit)}'"


_GITHUB_LOGIN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_GITHUB_REPO_NAME = re.compile(r"^[a-z0-9._-]+$")
MAX_GITHUB_LOGIN = 39
MAX_GITHUB_REPO_NAME = 100
# First path segments of github.com that are GitHub's own pages, never an account: GitHub
# keeps these names from users and organizations, so a login equal to one is a mistake.
GITHUB_RESERVED_NAMES = frozenset(
    {
        "about", "account", "apps", "blog", "codespaces", "collections", "contact",
        "copilot", "customer-stories", "dashboard", "enterprise", "enterprises", "explore",
        "features", "issues", "join", "login", "logout", "marketplace", "new",
        "notifications", "organizations", "orgs", "pricing", "pulls", "readme", "search",
        "security", "sessions", "settings", "signup", "site", "sponsors", "stars", "team",
        "topics", "trending", "users", "watching",
    }
)  # fmt: skip


def _codepoints(text: str) -> str:
    """The non-ASCII characters of a text as U+XXXX, to show look-alike letters."""
    found = dict.fromkeys(f"U+{ord(ch):04X}" for ch in text if not ch.isascii())
    return ", ".join(list(found)[:5])


def _require_ascii(value: str, text: str, what: str, allowed: str) -> None:
    # Checked before lower-casing: "\u212a".lower() is "k", so a look-alike login would
    # otherwise be accepted as a different, real account.
    if not text.isascii():
        raise TargetError(
            f"{quoted(value)} is not {what}: it holds characters outside ASCII "
            f"({_codepoints(text)}); use only ASCII {allowed}."
        )


def _normalise_github_login(value: str, what: str) -> str:
    login = value.strip().lstrip("@")
    if not login:
        raise TargetError(f"A GitHub {what} login is empty.")
    _require_ascii(value, login, f"a GitHub {what} login", "letters, digits and hyphens")
    login = login.lower()
    # The character set before the length, so a hostile input hears what is allowed.
    if not _GITHUB_LOGIN.match(login):
        raise TargetError(
            f"{quoted(value)} is not a GitHub {what} login: use letters, digits and hyphens, "
            "starting with a letter or digit."
        )
    if len(login) > MAX_GITHUB_LOGIN:
        raise TargetError(
            f"A GitHub {what} login has at most {MAX_GITHUB_LOGIN} characters; got {len(login)}."
        )
    if login in GITHUB_RESERVED_NAMES:
        raise TargetError(
            f"{login!r} is not a GitHub {what} login: GitHub keeps that name for its own pages "
            f"(github.com/{login})."
        )
    return login


def _normalise_github_repo(value: str) -> str:
    parts = value.strip().removesuffix(".git").split("/")
    if len(parts) != 2:
        raise TargetError(
            f"{quoted(value)} is not OWNER/NAME, as in github-repo:octocat/hello-world."
        )
    owner = _normalise_github_login(parts[0], "owner")
    _require_ascii(
        parts[1], parts[1], "a GitHub repository name", "letters, digits, '.', '-' and '_'"
    )
    name = parts[1].lower()
    if name in {".", ".."} or not _GITHUB_REPO_NAME.match(name):
        raise TargetError(
            f"{quoted(parts[1])} is not a GitHub repository name: use letters, digits, '.', '-' "
            f"and '_', at most {MAX_GITHUB_REPO_NAME}."
        )
    if len(name) > MAX_GITHUB_REPO_NAME:
        raise TargetError(
            f"A GitHub repository name has at most {MAX_GITHUB_REPO_NAME} characters; "
            f"got {len(name)}."
        )
    return f"{owner}/{name}"


_NORMALISERS = {
    TargetKind.GITHUB: lambda v: _normalise_github_login(v, "user"),
    TargetKind.GITHUB_ORG: lambda v: _normalise_github_login(v, "organization"),
    TargetKind.GITHUB_REPO: _normalise_github_repo,
}


def register_normaliser(kind: str, normaliser) -> None:
    """Lets a source app supply the validation for a kind it adds."""
    _NORMALISERS[TargetKind(kind)] = normaliser


_DISPLAYS: dict[str, Callable[[str], str]] = {}


def register_display(kind: str, display: Callable[[str], str]) -> None:
    """Lets a source app say how a stored value reads (an IDN's Unicode form)."""
    _DISPLAYS[kind] = display


def shown_as(kind: str, value: str) -> str:
    """A target as analysts read it: ``domain:küche.de`` for the stored
    ``domain:xn--kche-0ra.de``."""
    display = _DISPLAYS.get(kind)
    return f"{kind}:{display(value) if display else value}"


def _kinds_help() -> str:
    available = registry.supported_kinds()
    return "; ".join(KIND_DESCRIPTIONS[TargetKind(k)] for k in available if k in set(TargetKind))


# A word before a colon that is meant as a kind (``twitter:alice``), as opposed to a URL
# scheme (``https://``), a port (``example.com:8080``) or a defanged address.
_KIND_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_ORGANIZATION_PATHS = {"orgs", "organizations"}
_EMAIL_ADDRESS = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")


def _email_error(text: str) -> TargetError:
    return TargetError(
        f"{quoted(text)} is an e-mail address, which is not a target kind. For a "
        f"Mastodon account write mastodon:USER@INSTANCE; the kinds are: {_kinds_help()}."
    )


def _guess_github_address(text: str, path: str) -> tuple[str, str]:
    """The account or repository a github.com address names."""
    segments = [s for s in path.split("/") if s]
    first = segments[0].lower()
    if first in _ORGANIZATION_PATHS and len(segments) >= 2:
        return TargetKind.GITHUB_ORG, segments[1]
    if first == "users" and len(segments) >= 2:
        return TargetKind.GITHUB, segments[1]
    if first in GITHUB_RESERVED_NAMES:
        raise TargetError(
            f"{quoted(text)} is a page of GitHub's own (github.com/{first}), not a user, "
            "organization or repository: give an address such as https://github.com/LOGIN."
        )
    if len(segments) == 1:
        return TargetKind.GITHUB, segments[0]
    return TargetKind.GITHUB_REPO, f"{segments[0]}/{segments[1]}"


# Defanged spellings seen in threat reports, mapped back to what they stand for.
_DEFANGED = (
    (re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.I), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"\[\s*://\s*\]"), "://"),
)


def refang(text: str) -> str:
    """Undo the usual defanging of indicators: ``[.]``, ``(dot)``, ``[:]``, ``[://]``.

    A defanged scheme such as ``hxxps`` needs nothing: any scheme is dropped with the
    rest of the URL around the host."""
    for pattern, replacement in _DEFANGED:
        text = pattern.sub(replacement, text)
    return text


def _guess_from_bare(text: str) -> tuple[str, str]:
    """A bare value is accepted where its kind is unambiguous: a GitHub address is that
    account, organization or repository; any other host name or URL (defanged ones too)
    is a domain, when a domain source is installed to say which texts are domains."""
    # Refanged before the host is read, so that hxxps://github[.]com/octocat is the
    # account, as the address it stands for is, and not the domain github.com.
    address = refang(text)
    candidate = address if "://" in address else f"https://{address}"
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if parts is not None and host in {"github.com", "www.github.com"} and parts.path.strip("/"):
        return _guess_github_address(text, parts.path)
    if _EMAIL_ADDRESS.match(text):
        raise _email_error(text)
    domain_normaliser = _NORMALISERS.get(TargetKind.DOMAIN)
    if domain_normaliser is not None and " " not in text:
        try:
            domain_normaliser(text)
        except IpAddressValue as exc:
            raise TargetError(
                f"{quoted(text)} is an IP address ({exc.address}); IP addresses are not a "
                f"target kind. The kinds are: {_kinds_help()}."
            ) from exc
        except TargetError:
            pass
        else:
            return TargetKind.DOMAIN, text
    raise TargetError(
        f"{quoted(text)} has no kind. Write targets as kind:value, one of: {_kinds_help()}."
    )


def _split_kind(text: str) -> tuple[TargetKind, str]:
    """The kind a target names (or the one its bare value implies) and its value."""
    kind_text, sep, value = text.partition(":")
    word = kind_text.strip().lower()
    if sep and word in {k.value for k in TargetKind}:
        return TargetKind(word), value
    if sep and word == "mailto":
        raise _email_error(text)
    if sep and _KIND_WORD.match(word) and not value.startswith("//") and not value.isdigit():
        raise TargetError(
            f"{quoted(text)} has an unknown kind {quoted(word, 32)}. Write targets as "
            f"kind:value, one of: {_kinds_help()}."
        )
    return _guess_from_bare(text)


def parse_target(text: str) -> ParsedTarget:
    """Parse one target as typed by an analyst; raise ``TargetError`` with the reason.

    The value reaches the kind's normaliser as typed (no Unicode normalisation here):
    kinds whose values are ASCII must see a look-alike character to refuse it, and the
    others normalise in their own way (IDNA for host names, NFC for usernames).
    """
    if not isinstance(text, str):
        raise TargetError("A target must be text.")
    if len(text) > MAX_TARGET_LENGTH:
        raise TargetError(f"A target has at most {MAX_TARGET_LENGTH} characters; got {len(text)}.")
    # A byte order mark is what a file saved by some editors starts with, not part of
    # the target.
    text = text.strip().removeprefix("\ufeff").strip()
    if not text:
        raise TargetError("A target is empty.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in text):
        raise TargetError(f"{quoted(text)} contains control or invisible characters.")
    # Files and stdin are read with bad UTF-8 replaced by U+FFFD so that one bad line does
    # not sink the list; the line itself is refused here, for every kind alike, rather than
    # left to each kind's rules (a username's rules let the character through).
    if "\ufffd" in text:
        raise TargetError(
            f"{quoted(text)} holds bytes that are not valid text (shown as U+FFFD); save the "
            "list as UTF-8 and give it again."
        )

    kind, value = _split_kind(text)
    if kind not in registry.supported_kinds():
        raise TargetError(
            f"Targets of kind {kind.value!r} cannot be investigated yet: no source for them is "
            f"installed. Available: {_kinds_help()}."
        )
    normaliser = _NORMALISERS.get(kind)
    if normaliser is None:
        raise TargetError(f"Targets of kind {kind.value!r} have no validation rules installed.")
    return ParsedTarget(kind=kind.value, value=normaliser(value))


def parse_targets(texts: list[str]) -> tuple[list[ParsedTarget], list[tuple[str, str]]]:
    """Parse many targets; return the good ones (deduplicated, in order) and the errors."""
    parsed: list[ParsedTarget] = []
    errors: list[tuple[str, str]] = []
    seen: set[ParsedTarget] = set()
    for text in texts:
        try:
            target = parse_target(text)
        except TargetError as exc:
            errors.append((excerpt(str(text)), str(exc)))
            continue
        if target not in seen:
            seen.add(target)
            parsed.append(target)
    return parsed, errors
