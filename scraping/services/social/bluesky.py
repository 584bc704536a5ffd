"""Bluesky collection: a handle resolved to its DID, the profile, and the author feed."""

from typing import Any

from django.conf import settings

from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ... import platforms
from ...clients.bluesky import BlueskyClient
from ...http import HttpClient
from .graph import ACCOUNT, Post, web_link, write_post_pages
from .text import urls_in_text

SOURCE = "bluesky"
PLATFORM = "bluesky"
_PROFILE_FIELDS = (
    "did",
    "handle",
    "displayName",
    "avatar",
    "banner",
    "followersCount",
    "followsCount",
    "postsCount",
    "createdAt",
    "indexedAt",
)
_MENTION = "app.bsky.richtext.facet#mention"
_LINK = "app.bsky.richtext.facet#link"
_TAG = "app.bsky.richtext.facet#tag"


def account_key(did: str) -> str:
    """Accounts are keyed by DID, which stays when the handle changes."""
    return f"bluesky:{did}"


def build_client(writer: GraphWriter, **overrides: Any) -> BlueskyClient:
    options = {
        "base_url": settings.BLUESKY_API_URL,
        "http": HttpClient(platform=platforms.BLUESKY, cache_answers=True),
        "max_pages": settings.BLUESKY_MAX_PAGES,
        "page_size": settings.BLUESKY_PAGE_SIZE,
        "on_response": writer.record,
    }
    options.update(overrides)
    return BlueskyClient(**options)


def web_address(uri: str, handle: str) -> str:
    """The bsky.app page of an ``at://did/app.bsky.feed.post/rkey`` post."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) == 3 and parts[1] == "app.bsky.feed.post":
        return f"https://bsky.app/profile/{handle or parts[0]}/post/{parts[2]}"
    return ""


def feed_item_to_post(item: dict[str, Any], author_did: str | None = None) -> Post | None:
    """An author-feed item as a post; a repost is left out (the post is someone else's),
    and so is an item whose author is not ``author_did`` (an AppView answering wrongly
    must not make the target the author of someone else's words)."""
    if isinstance(item.get("reason"), dict):
        return None
    view = item.get("post")
    if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
        return None
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    if author_did is not None and author.get("did") != author_did:
        return None
    mentions, links, tags = [], [], []
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or [] if isinstance(facet, dict) else []:
            kind = feature.get("$type") if isinstance(feature, dict) else None
            if kind == _MENTION and isinstance(feature.get("did"), str):
                mentions.append((account_key(feature["did"]), feature["did"]))
            elif kind == _LINK and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
            elif kind == _TAG and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"].lower())
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    external = embed.get("external") if isinstance(embed.get("external"), dict) else {}
    if isinstance(external.get("uri"), str) and external["uri"] not in links:
        links.append(external["uri"])
    tags += [str(t).lower() for t in record.get("tags") or [] if isinstance(t, str)]
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    return Post(
        platform=PLATFORM,
        key=view["uri"],
        url=web_address(view["uri"], str(author.get("handle") or "")),
        posted_at=str(record.get("createdAt") or view.get("indexedAt") or ""),
        text=str(record.get("text") or ""),
        language=str(langs[0]) if langs else "",
        mentions=mentions,
        hashtags=sorted(set(tags)),
        links=links,
        extra={
            "languages": [str(lang) for lang in langs],
            "reply_to": (reply.get("parent") or {}).get("uri") if reply else None,
            "reply_count": view.get("replyCount"),
            "repost_count": view.get("repostCount"),
            "like_count": view.get("likeCount"),
        },
    )


def scrape_profile(ctx: JobContext, handle: str) -> dict[str, Any]:
    """Resolve the handle (or take a DID as it is), then the profile and recent posts."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    client = build_client(writer)

    proofs = []
    if handle.startswith("did:"):
        did = handle
    else:
        did, response = client.resolve_handle(handle)
        proofs.append(writer.record(response))
    data, response = client.profile(did)
    evidence = writer.record(response)
    description = str(data.get("description") or "")
    account = writer.entity(
        ACCOUNT,
        account_key(data["did"]),
        name=f"@{data['handle']}",
        attributes={
            "platform": PLATFORM,
            "bio": description,
            "labels": [
                str(label.get("val"))
                for label in data.get("labels") or []
                if isinstance(label, dict)
            ],
            **{name: data.get(name) for name in _PROFILE_FIELDS if name in data},
        },
        evidence=[evidence, *proofs],
    )
    for href in urls_in_text(description):
        web_link(writer, account, href, evidence, field="description", verified=False)
    ctx.progress(30)

    posts = reposts = 0
    with ctx.step("author feed"):
        pages, complete = client.author_feed(data["did"])
        posts, reposts = write_post_pages(
            ctx,
            writer,
            account,
            pages,
            lambda item: feed_item_to_post(item, author_did=data["did"]),
            PLATFORM,
        )
        if not complete:
            ctx.note(f"author feed: stopped after {len(pages)} pages (BLUESKY_MAX_PAGES)")
    return {
        "account": account.key,
        "handle": data["handle"],
        "posts": posts,
        "reposts_skipped": reposts,
    }
