"""Target syntax: ``kind:value``, parsed, validated and normalised.

Targets are hostile input. Every rule here gives a message that says what is wrong in
words an analyst can act on, and never echoes more than a short, printable excerpt.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from . import registry

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


@dataclass(frozen=True)
class ParsedTarget:
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def excerpt(text: str, limit: int = 60) -> str:
    """A short printable rendering of hostile text, for error messages."""
    printable = "".join(ch if ch.isprintable() else "\ufffd" for ch in text[:limit])
    return printable + ("…" if len(text) > limit else "")


_GITHUB_LOGIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38})$")
_GITHUB_REPO_NAME = re.compile(r"^[a-z0-9._-]{1,100}$")


def _normalise_github_login(value: str, what: str) -> str:
    login = value.strip().lstrip("@").lower()
    if not login:
        raise TargetError(f"A GitHub {what} login is empty.")
    if len(login) > 39:
        raise TargetError(f"A GitHub {what} login has at most 39 characters; got {len(login)}.")
    if not _GITHUB_LOGIN.match(login):
        raise TargetError(
            f"{excerpt(value)!r} is not a GitHub {what} login: use letters, digits and hyphens, "
            "starting with a letter or digit."
        )
    return login


def _normalise_github_repo(value: str) -> str:
    parts = value.strip().removesuffix(".git").split("/")
    if len(parts) != 2:
        raise TargetError(
            f"{excerpt(value)!r} is not OWNER/NAME, as in github-repo:octocat/hello-world."
        )
    owner = _normalise_github_login(parts[0], "owner")
    name = parts[1].lower()
    if name in {".", ".."} or not _GITHUB_REPO_NAME.match(name):
        raise TargetError(
            f"{excerpt(parts[1])!r} is not a GitHub repository name: use letters, digits, '.', '-' "
            "and '_', at most 100."
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


def _kinds_help() -> str:
    available = registry.supported_kinds()
    return "; ".join(KIND_DESCRIPTIONS[TargetKind(k)] for k in available if k in set(TargetKind))


def _guess_from_bare(text: str) -> tuple[str, str]:
    """A bare value is accepted where its kind is unambiguous: a GitHub address is that
    account or repository; any other host name or URL (defanged ones too) is a domain,
    when a domain source is installed to say which texts are domains."""
    candidate = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if parts is not None and host in {"github.com", "www.github.com"}:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 1:
            return TargetKind.GITHUB, segments[0]
        if len(segments) >= 2:
            return TargetKind.GITHUB_REPO, f"{segments[0]}/{segments[1]}"
    domain_normaliser = _NORMALISERS.get(TargetKind.DOMAIN)
    if domain_normaliser is not None and " " not in text:
        try:
            domain_normaliser(text)
        except TargetError:
            pass
        else:
            return TargetKind.DOMAIN, text
    raise TargetError(
        f"{excerpt(text)!r} has no kind. Write targets as kind:value, one of: {_kinds_help()}."
    )


def parse_target(text: str) -> ParsedTarget:
    """Parse one target as typed by an analyst; raise ``TargetError`` with the reason."""
    if not isinstance(text, str):
        raise TargetError("A target must be text.")
    if len(text) > MAX_TARGET_LENGTH:
        raise TargetError(f"A target has at most {MAX_TARGET_LENGTH} characters; got {len(text)}.")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise TargetError("A target is empty.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in text):
        raise TargetError(f"{excerpt(text)!r} contains control or invisible characters.")

    kind_text, sep, value = text.partition(":")
    lowered_kind = kind_text.strip().lower()
    if sep and lowered_kind in {k.value for k in TargetKind}:
        kind = TargetKind(lowered_kind)
    else:
        kind, value = _guess_from_bare(text)

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
