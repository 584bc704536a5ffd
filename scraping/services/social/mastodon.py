"""Mastodon collection: a profile with its verified links and recent public posts."""

from typing import Any

from django.conf import settings

from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ... import platforms
from ...clients.mastodon import MastodonClient
from ...http import HttpClient
from .graph import ACCOUNT, Post, web_link, write_post_pages
from .text import html_to_text

SOURCE = "mastodon"
PLATFORM = "mastodon"
_PROFILE_FIELDS = (
    "id",
    "username",
    "acct",
    "display_name",
    "url",
    "avatar",
    "header",
    "locked",
    "bot",
    "group",
    "discoverable",
    "created_at",
    "last_status_at",
    "followers_count",
    "following_count",
    "statuses_count",
)


def parse_handle(value: str) -> tuple[str, str]:
    """``user@domain`` of a normalised target value."""
    username, _, domain = value.partition("@")
    return username, domain


def account_key(acct: str, home_domain: str) -> str:
    """``mastodon:user@domain``: a local ``acct`` has no domain, its instance's is added."""
    return f"mastodon:{acct if '@' in acct else f'{acct}@{home_domain}'}".lower()


def build_client(writer: GraphWriter, **overrides: Any) -> MastodonClient:
    options = {
        "http": HttpClient(platform=platforms.MASTODON, cache_answers=True),
        "url_override": settings.MASTODON_URL_OVERRIDE,
        "max_pages": settings.MASTODON_MAX_PAGES,
        "page_size": settings.MASTODON_PAGE_SIZE,
        "on_response": writer.record,
    }
    options.update(overrides)
    return MastodonClient(**options)


def _profile_attributes(data: dict[str, Any], domain: str, api_host: str) -> dict[str, Any]:
    bio, _ = html_to_text(data.get("note") or "")
    fields = []
    for item in data.get("fields") or []:
        if isinstance(item, dict):
            value, _ = html_to_text(str(item.get("value") or ""))
            fields.append(
                {
                    "name": str(item.get("name") or ""),
                    "value": value,
                    "verified_at": item.get("verified_at"),
                }
            )
    return {
        "platform": PLATFORM,
        "instance": domain,
        "api_host": api_host,
        "bio": bio,
        "fields": fields,
        **{name: data.get(name) for name in _PROFILE_FIELDS if name in data},
    }


def _field_links(writer: GraphWriter, account, data: dict[str, Any], evidence) -> int:
    """Profile fields that hold a link; Mastodon marks those whose page links back."""
    count = 0
    for item in data.get("fields") or []:
        if not isinstance(item, dict):
            continue
        _, links = html_to_text(str(item.get("value") or ""))
        for link in links:
            verified = bool(item.get("verified_at"))
            web_link(
                writer,
                account,
                link.href,
                evidence,
                field=str(item.get("name") or "")[:200],
                verified=verified,
                verified_at=item.get("verified_at"),
            )
            count += 1
    return count


def status_to_post(status: dict[str, Any], home_domain: str) -> Post | None:
    """A status as a post; a boost is left out (its post is someone else's)."""
    if status.get("reblog"):
        return None
    text, links = html_to_text(str(status.get("content") or ""))
    spoiler = str(status.get("spoiler_text") or "")
    mentions = [
        (account_key(str(m.get("acct")), home_domain), str(m.get("acct")))
        for m in status.get("mentions") or []
        if isinstance(m, dict) and m.get("acct")
    ]
    hashtags = [str(t.get("name")).lower() for t in status.get("tags") or [] if isinstance(t, dict)]
    hrefs = [link.href for link in links if not link.is_mention and not link.is_hashtag]
    card = status.get("card")
    if isinstance(card, dict) and isinstance(card.get("url"), str) and card["url"] not in hrefs:
        hrefs.append(card["url"])
    return Post(
        platform=PLATFORM,
        key=str(status.get("uri") or status.get("url") or status.get("id")),
        url=str(status.get("url") or ""),
        posted_at=str(status.get("created_at") or ""),
        text=(f"[{spoiler}] " if spoiler else "") + text,
        language=str(status.get("language") or ""),
        mentions=mentions,
        hashtags=hashtags,
        links=hrefs,
        extra={
            "visibility": status.get("visibility"),
            "in_reply_to_id": status.get("in_reply_to_id"),
            "replies_count": status.get("replies_count"),
            "reblogs_count": status.get("reblogs_count"),
            "favourites_count": status.get("favourites_count"),
        },
    )


def scrape_profile(ctx: JobContext, handle: str) -> dict[str, Any]:
    """Resolve ``user@domain``, then collect the account and its recent public posts."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    client = build_client(writer)
    username, domain = parse_handle(handle)

    resolution = client.resolve(username, domain)
    if resolution.note:
        ctx.note(resolution.note)
    data, response = client.lookup(resolution)
    evidence = writer.record(response)
    proofs = [evidence, *(writer.record(r) for r in resolution.responses)]
    account = writer.entity(
        ACCOUNT,
        account_key(resolution.username, domain),
        name=f"@{resolution.username}@{domain}",
        attributes=_profile_attributes(data, domain, resolution.api_host),
        evidence=proofs,
    )
    verified_links = _field_links(writer, account, data, evidence)
    ctx.progress(30)

    posts = boosts = 0
    with ctx.step("statuses"):
        pages, complete = client.statuses(resolution.api_host, str(data["id"]))
        posts, boosts = write_post_pages(
            ctx, writer, account, pages, lambda s: status_to_post(s, domain), PLATFORM
        )
        if not complete:
            ctx.note(f"statuses: stopped after {len(pages)} pages (MASTODON_MAX_PAGES)")
    return {
        "account": account.key,
        "api_host": resolution.api_host,
        "profile_links": verified_links,
        "posts": posts,
        "boosts_skipped": boosts,
    }
