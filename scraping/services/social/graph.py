"""How social findings enter the graph: the kinds and relationship names, stated once,
and the writing of posts with their links, shared by Mastodon and Bluesky."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from investigations.models import Entity, Evidence
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...http import HttpResponse

# Entity kinds
USERNAME = "username"
ACCOUNT = "account"
POST = "post"
URL = "url"
DOMAIN = "domain"

# Relationship kinds
HAS_ACCOUNT = "has_account"  # username -> account found under that name
POSTED = "posted"  # account -> post
MENTIONS = "mentions"  # post -> account
LINKS_TO = "links_to"  # account or post -> url
HOSTED_ON = "hosted_on"  # url -> domain

# The longest post text kept on the post entity; the whole answer is in the evidence.
MAX_POST_TEXT = 5000


@dataclass
class Post:
    """A post as kept for analysis, whatever platform it came from."""

    platform: str
    key: str  # the platform's own global identifier (a status URI, an at:// URI)
    url: str
    posted_at: str
    text: str
    language: str = ""
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (account key, label)
    hashtags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "url": self.url,
            "posted_at": self.posted_at,
            "language": self.language,
            "text": self.text[:MAX_POST_TEXT],
            "mentions": [label for _, label in self.mentions],
            "hashtags": self.hashtags,
            "links": self.links,
            **self.extra,
        }


def web_link(writer: GraphWriter, source: Entity, href: str, evidence: Evidence, **attrs) -> None:
    """A link from a profile or post: a url entity, its domain, and the edges between."""
    href = href.strip()
    host = (urlsplit(href).hostname or "").lower().rstrip(".")
    if not host or urlsplit(href).scheme not in ("http", "https"):
        return
    url = writer.entity(URL, href, name=href[:512], attributes={"host": host}, evidence=[evidence])
    domain = writer.entity(DOMAIN, host, name=host, evidence=[evidence])
    writer.link(source, url, LINKS_TO, attributes=attrs, evidence=[evidence])
    writer.link(url, domain, HOSTED_ON, evidence=[evidence])


def write_post(
    writer: GraphWriter, account: Entity, post: Post, evidence: Evidence, mention_platform: str
) -> Entity:
    entity = writer.entity(
        POST,
        # Keyed by platform: a hostile instance could give a status another platform's URI.
        f"{post.platform}:{post.key}",
        name=(post.text.splitlines() or [post.url or post.key])[0][:200],
        attributes=post.attributes(),
        evidence=[evidence],
    )
    writer.link(account, entity, POSTED, attributes={"at": post.posted_at}, evidence=[evidence])
    for key, label in post.mentions:
        mentioned = writer.entity(
            ACCOUNT,
            key,
            name=label,
            attributes={"platform": mention_platform},
            confidence=0.8,
            evidence=[evidence],
        )
        writer.link(entity, mentioned, MENTIONS, evidence=[evidence])
    for href in post.links:
        web_link(writer, entity, href, evidence)
    return entity


class PostPage(Protocol):
    items: list[dict[str, Any]]
    response: HttpResponse


def write_post_pages(
    ctx: JobContext,
    writer: GraphWriter,
    account: Entity,
    pages: Iterable[PostPage],
    to_post: Callable[[dict[str, Any]], Post | None],
    platform: str,
) -> tuple[int, int]:
    """Every post of the pages, each page kept as the evidence of its posts; returns how
    many were written and how many were left out (boosts, reposts)."""
    written = skipped = 0
    for number, page in enumerate(pages, start=1):
        evidence = writer.record(page.response)
        for item in page.items:
            post = to_post(item)
            if post is None:
                skipped += 1
                continue
            write_post(writer, account, post, evidence, platform)
            written += 1
        ctx.progress(min(95, 30 + 13 * number))
    return written, skipped
