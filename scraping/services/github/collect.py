"""Collecting a GitHub user, organization or repository.

Each function takes the job context and a normalised target value, writes entities,
relationships and the evidence behind them as it goes (so what was collected before a
failure is kept) and returns counts for the job record. Only the target's own resource
is essential: a part GitHub refuses for this target (404, 422 for statistics of a huge
repository, an odd answer) is noted and the rest goes on; transient faults still retry
the whole job. How deep it digs follows the investigation's mode.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings

from investigations.errors import NotFoundError, PermanentError
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ...clients.github import PLATFORM, GitHubClient, ListAnswer
from ...http import HttpClient
from .mapping import GitHubGraph, full_name_of, login_of

# Pages of 100 read per mode. GitHub keeps at most 300 public events (three pages);
# comprehensive mode also reads the languages of up to LANGUAGE_REPOS owned repositories.
DEPTH = {
    "quick": {"event_pages": 1, "commit_pages": 1, "language_repos": 0},
    "detailed": {"event_pages": 3, "commit_pages": 3, "language_repos": 0},
    "comprehensive": {"event_pages": 3, "commit_pages": 5, "language_repos": 20},
}


def build_client(writer: GraphWriter, **overrides: Any) -> GitHubClient:
    options = {
        "base_url": settings.GITHUB_API_URL,
        "token": settings.GITHUB_TOKEN,
        "http": HttpClient(platform=PLATFORM, cache_answers=True),
        "rate_limit_max_wait": settings.GITHUB_RATE_LIMIT_MAX_WAIT,
        "max_pages": settings.GITHUB_MAX_PAGES,
        "stats_attempts": settings.GITHUB_STATS_ATTEMPTS,
        "stats_base_delay": settings.GITHUB_STATS_BASE_DELAY,
        "on_response": writer.record,
    }
    options.update(overrides)
    return GitHubClient(**options)


def path(*segments: str) -> str:
    """A request path from segments, each quoted: no value can add a segment or a query."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def repo_path(full_name: str, *rest: str) -> str:
    owner, name = full_name.split("/")
    return path("repos", owner, name, *rest)


def optional(ctx: JobContext, part: str, fetch: Callable[[], Any], empty: Any = None) -> Any:
    """A part of the collection that may be missing for this target."""
    try:
        answer = fetch()
        if isinstance(answer, ListAnswer) and not answer.complete:
            ctx.note(f"{part}: only the first {len(answer.items)} items were read")
        return answer
    except NotFoundError:
        ctx.note(f"{part}: not available from GitHub (HTTP 404)")
    except PermanentError as exc:
        ctx.note(f"{part}: not collected: {exc}")
    return ListAnswer() if empty is None else empty


def _finish(ctx: JobContext, graph: GitHubGraph, counts: dict[str, Any]) -> dict[str, Any]:
    if graph.skipped:
        ctx.note(f"{graph.skipped} items of an odd shape in GitHub's answers were skipped")
    return counts


def scrape_user(ctx: JobContext, login: str) -> dict[str, Any]:
    """A user's profile, public repositories, organizations and recent public activity."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, PLATFORM)
    client = build_client(writer)
    graph = GitHubGraph(writer)
    depth = DEPTH.get(ctx.mode, DEPTH["quick"])

    profile = client.get_object(path("users", login), f"GitHub user {login!r}")
    if profile.data.get("type") == "Organization":
        ctx.note(f"{login} is an organization; collected as one")
        return scrape_organization(ctx, login)
    if login_of(profile.data) is None:
        raise PermanentError(f"GitHub's profile of {login!r} has no valid login")
    account = graph.account(profile.data, writer.record(profile.response), login_of(profile.data))
    ctx.progress(15)

    repos = optional(
        ctx,
        "repositories",
        lambda: client.paginate(path("users", login, "repos"), "repositories", {"type": "owner"}),
    )
    owned = [
        graph.repository(item, writer.record(response))
        for item, response in ctx.each(repos.items, 15, 45)
    ]
    ctx.progress(45)

    orgs = optional(
        ctx, "organizations", lambda: client.paginate(path("users", login, "orgs"), "organizations")
    )
    for item, response in ctx.each(orgs.items, 45, 60):
        evidence = writer.record(response)
        org = graph.summary_account(item, evidence, kind="Organization")
        if org is not None:
            writer.link(account, org, "member_of", attributes={"public": True}, evidence=[evidence])
    ctx.progress(60)

    client.max_pages = depth["event_pages"]
    events = optional(
        ctx,
        "public events",
        lambda: client.paginate(path("users", login, "events", "public"), "public events"),
    )
    active_in = _record_activity(ctx, writer, graph, account, events)
    ctx.progress(80)

    sources = [r for r in owned if r is not None and not r.attributes.get("fork")]
    for repo in ctx.each(sources[: depth["language_repos"]], 80, 95, every=5):
        _languages(ctx, client, writer, repo, repo.name, part=f"languages of {repo.name}")
    return _finish(
        ctx,
        graph,
        {
            "repositories": len(repos.items),
            "organizations": len(orgs.items),
            "events": len(events.items),
            "active_in_repositories": active_in,
        },
    )


def _record_activity(
    ctx: JobContext, writer: GraphWriter, graph: GitHubGraph, account, events: ListAnswer
) -> int:
    """Repositories the user pushed to, opened issues in or commented on."""
    counts: dict[str, dict[str, Any]] = {}
    for event, response in events.items:
        repo_name = (
            full_name_of({"full_name": (event.get("repo") or {}).get("name")})
            if isinstance(event, dict)
            else None
        )
        if repo_name is None:
            continue
        entry = counts.setdefault(
            repo_name, {"events": 0, "types": set(), "last": "", "response": response}
        )
        entry["events"] += 1
        entry["types"].add(str(event.get("type") or ""))
        entry["last"] = max(entry["last"], str(event.get("created_at") or ""))
    for repo_name, entry in ctx.each(list(counts.items()), 60, 80):
        evidence = writer.record(entry["response"])
        repo = graph.repository_stub(repo_name, evidence)
        writer.link(
            account,
            repo,
            "active_in",
            attributes={
                "events": entry["events"],
                "event_types": sorted(entry["types"]),
                "last_event_at": entry["last"],
            },
            evidence=[evidence],
        )
    return len(counts)


def scrape_organization(ctx: JobContext, login: str) -> dict[str, Any]:
    """An organization's profile, public members and repositories."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, PLATFORM)
    client = build_client(writer)
    graph = GitHubGraph(writer)

    profile = client.get_object(path("orgs", login), f"GitHub organization {login!r}")
    if login_of(profile.data) is None:
        raise PermanentError(f"GitHub's profile of {login!r} has no valid login")
    org = graph.account(
        {**profile.data, "type": "Organization"},
        writer.record(profile.response),
        login_of(profile.data),
    )
    ctx.progress(20)

    # Without a token of a member, GitHub lists the public members only.
    members = optional(
        ctx, "members", lambda: client.paginate(path("orgs", login, "members"), "members")
    )
    for item, response in ctx.each(members.items, 20, 55):
        evidence = writer.record(response)
        member = graph.summary_account(item, evidence, kind="User")
        if member is not None:
            writer.link(member, org, "member_of", attributes={"public": True}, evidence=[evidence])

    repos = optional(
        ctx,
        "repositories",
        lambda: client.paginate(path("orgs", login, "repos"), "repositories", {"type": "public"}),
    )
    for item, response in ctx.each(repos.items, 55, 95):
        graph.repository(item, writer.record(response))
    return _finish(ctx, graph, {"members": len(members.items), "repositories": len(repos.items)})


def scrape_repository(ctx: JobContext, full_name: str) -> dict[str, Any]:
    """A repository's metadata, contributors, languages, contributor statistics and the
    authors of its recent commits."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, PLATFORM)
    client = build_client(writer)
    graph = GitHubGraph(writer)
    depth = DEPTH.get(ctx.mode, DEPTH["quick"])

    meta = client.get_object(repo_path(full_name), f"GitHub repository {full_name!r}")
    repo = graph.repository(meta.data, writer.record(meta.response))
    if repo is None:
        raise PermanentError(f"GitHub's answer for {full_name!r} has no valid full name")
    # A renamed or transferred repository answers under its new name.
    canonical = full_name_of(meta.data)
    ctx.progress(15)

    contributors = optional(
        ctx,
        "contributors",
        lambda: client.paginate(repo_path(canonical, "contributors"), "contributors"),
    )
    for item, response in ctx.each(contributors.items, 15, 35):
        if isinstance(item, dict) and item.get("type") == "Anonymous":
            continue  # anonymous contributors have no account
        evidence = writer.record(response)
        person = graph.summary_account(item, evidence)
        if person is not None:
            writer.link(
                person,
                repo,
                "contributes_to",
                attributes={"contributions": item.get("contributions")},
                evidence=[evidence],
            )

    languages = _languages(ctx, client, writer, repo, canonical)
    ctx.progress(45)

    stats_status = optional(
        ctx,
        "contributor statistics",
        lambda: _statistics(ctx, client, writer, graph, repo, canonical),
        empty="not collected",
    )
    ctx.progress(70)

    client.max_pages = depth["commit_pages"]
    commits = optional(
        ctx, "commits", lambda: client.paginate(repo_path(canonical, "commits"), "commits")
    )
    authors = _record_commit_authors(ctx, writer, graph, repo, commits)
    return _finish(
        ctx,
        graph,
        {
            "contributors": len(contributors.items),
            "languages": languages,
            "contributor_stats": stats_status,
            "commits": len(commits.items),
            "commit_authors": authors,
        },
    )


def _statistics(
    ctx, client: GitHubClient, writer: GraphWriter, graph: GitHubGraph, repo, full_name: str
) -> str:
    stats = client.contributor_stats(full_name)
    evidence = [writer.record(r) for r in stats.responses]
    writer.entity(
        "repository",
        repo.key,
        attributes={
            "contributor_stats": stats.status,
            "contributor_stats_authors": len(stats.data) if stats.status == "ok" else None,
        },
        evidence=evidence,
    )
    if stats.status == "pending":
        ctx.note("contributor statistics: GitHub was still computing them; stored as pending")
    for row in stats.data:
        author = row.get("author") if isinstance(row, dict) else None
        person = graph.summary_account(author, evidence[-1]) if author else None
        if person is not None:
            writer.link(
                person,
                repo,
                "contributes_to",
                attributes={"commits": row.get("total")},
                evidence=evidence[-1:],
            )
    return stats.status


def _languages(
    ctx: JobContext,
    client: GitHubClient,
    writer: GraphWriter,
    repo,
    full_name: str,
    part: str = "languages",
) -> int:
    answer = optional(
        ctx,
        part,
        lambda: client.get_object(repo_path(full_name, "languages"), "languages"),
        empty=False,
    )
    if not answer:
        return 0
    evidence = writer.record(answer.response)
    sizes = {
        k: v for k, v in answer.data.items() if isinstance(k, str) and isinstance(v, int) and v >= 0
    }
    total = sum(sizes.values()) or 1
    for language, size in sizes.items():
        tech = writer.entity(
            "technology",
            f"language:{language}",
            name=language,
            attributes={"category": "programming language"},
            evidence=[evidence],
        )
        writer.link(
            repo,
            tech,
            "uses",
            attributes={"bytes": size, "share": round(size / total, 4)},
            evidence=[evidence],
        )
    return len(sizes)


def _record_commit_authors(
    ctx: JobContext, writer: GraphWriter, graph: GitHubGraph, repo, commits: ListAnswer
) -> int:
    """Commit author addresses, tied to the account GitHub matched them to."""
    seen = set()
    for item, response in ctx.each(commits.items, 70, 95):
        commit = item.get("commit") if isinstance(item, dict) else None
        author = commit.get("author") if isinstance(commit, dict) else None
        email = author.get("email") if isinstance(author, dict) else None
        email = email.strip().lower() if isinstance(email, str) else ""
        if "@" not in email or email.endswith("@users.noreply.github.com"):
            continue
        evidence = writer.record(response)
        address = writer.entity("email", email, name=email, evidence=[evidence])
        writer.link(address, repo, "committed_to", evidence=[evidence])
        person = graph.summary_account(item.get("author"), evidence) if item.get("author") else None
        if person is not None:
            writer.link(
                person,
                address,
                "has_email",
                attributes={"seen_in": "commit"},
                confidence=0.9,
                evidence=[evidence],
            )
        seen.add(email)
    return len(seen)
