"""Platform names: what shared limits, pauses and cached answers are kept by.

A platform is one service with one set of limits, as ``github``, ``bluesky`` or
``crtsh``. Where every host is a service of its own with limits of its own (Mastodon
instances, RDAP and WHOIS servers, the web sites targets name, the username sites) the
name is the family and the member: ``mastodon:mastodon.social``,
``whois:whois.verisign-grs.com``, ``site:github``. A member without a limit of its own
is held to its family's, and a family without one to ``default``.
"""

from urllib.parse import urlsplit

GITHUB = "github"
MASTODON = "mastodon"
BLUESKY = "bluesky"
RDAP = "rdap"
WHOIS = "whois"
CT = "crtsh"
WEB = "web"
SITE = "site"

# What each source (a job's name) asks, for pages that show the platforms a run uses.
SOURCE_FAMILIES = {
    "github": (GITHUB,),
    "username_sites": (SITE,),
    "mastodon": (MASTODON,),
    "bluesky": (BLUESKY,),
    "domain": (RDAP, WHOIS, CT, WEB),
}
# The longest name kept (PlatformLimit.platform): a family, a colon and a DNS name.
MAX_LENGTH = 300
_SEPARATOR = ":"


def member(family: str, host: str) -> str:
    """The platform name of one host of a family; the host in lower case."""
    host = (host or "").strip().lower().rstrip(".")
    return f"{family}{_SEPARATOR}{host}"[:MAX_LENGTH] if host else family


def member_for_url(family: str, url: str) -> str:
    return member(family, urlsplit(url).hostname or "")


def family_of(platform: str) -> str:
    return platform.split(_SEPARATOR, 1)[0]


def families_for_sources(sources: list[str]) -> list[str]:
    """The platform families the named sources ask; a source not listed is its own."""
    families: list[str] = []
    for source in sources:
        for family in SOURCE_FAMILIES.get(source, (source,)):
            if family not in families:
                families.append(family)
    return families
