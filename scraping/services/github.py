"""GitHub collection: users, organizations and repositories into the graph.

Each function takes the job context and a normalised target value, writes entities,
relationships and the evidence behind them as it goes (so what was collected before a
failure is kept), and returns counts for the job record. A part that GitHub does not
offer for this target (a 404 on a sub-resource) is noted, not fatal.
"""

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from investigations.errors import NotFoundError
from investigations.services.graph import GraphWriter
from investigations.tasking import JobContext

from ..clients.github import PLATFORM, GitHubClient, ListAnswer
from ..http import HttpClient

logger = logging.getLogger(__name__)

SOURCE = PLATFORM
# Public events are a window on recent activity; three pages of 100 is GitHub's own cap.
EVENT_PAGES = 3
COMMIT_PAGES = 1

_PROFILE_FIELDS = (
    "id",
    "login",
    "type",
    "name",
    "company",
    "blog",
    "location",
    "email",
    "bio",
    "twitter_username",
    "public_repos",
    "public_gists",
    "followers",
    "following",
    "created_at",
    "updated_at",
    "html_url",
    "avatar_url",
    "hireable",
    "description",
    "is_verified",
)
_REPO_FIELDS = (
    "id",
    "full_name",
    "description",
    "language",
    "fork",
    "archived",
    "homepage",
    "html_url",
    "default_branch",
    "size",
    "stargazers_count",
    "watchers_count",
    "forks_count",
    "open_issues_count",
    "created_at",
    "updated_at",
    "pushed_at",
    "topics",
    "visibility",
)


def build_client(writer: GraphWriter, **overrides: Any) -> GitHubClient:
    options = {
        "base_url": settings.GITHUB_API_URL,
        "token": settings.GITHUB_TOKEN,
        "http": HttpClient(platform=SOURCE, cache_answers=True),
        "rate_limit_max_wait": settings.GITHUB_RATE_LIMIT_MAX_WAIT,
        "max_pages": settings.GITHUB_MAX_PAGES,
        "stats_attempts": settings.GITHUB_STATS_ATTEMPTS,
        "stats_base_delay": settings.GITHUB_STATS_BASE_DELAY,
        "on_response": writer.record,
    }
    options.update(overrides)
    return GitHubClient(**options)


def _pick(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: data.get(name) for name in fields if name in data}


def _optional(ctx: JobContext, part: str, fetch: Callable[[], ListAnswer]) -> ListAnswer:
    try:
        return fetch()
    except NotFoundError:
        ctx.note(f"{part}: not available from GitHub (HTTP 404)")
        return ListAnswer()


class GitHubGraph:
    """The mapping from GitHub objects to entities and relationships."""

    def __init__(self, writer: GraphWriter):
        self.writer = writer

    def account(self, data: dict[str, Any], evidence) -> Any:
        login = data["login"]
        is_org = data.get("type") == "Organization"
        entity = self.writer.entity(
            "organization" if is_org else "account",
            f"github:{login}",
            name=login,
            attributes={"platform": "github", **_pick(data, _PROFILE_FIELDS)},
            evidence=[evidence],
        )
        self._profile_links(entity, data, evidence)
        return entity

    def _profile_links(self, entity, data: dict[str, Any], evidence) -> None:
        email = (data.get("email") or "").strip()
        if email and "@" in email:
            target = self.writer.entity("email", email, name=email, evidence=[evidence])
            self.writer.link(entity, target, "has_email", evidence=[evidence])
        blog = (data.get("blog") or "").strip()
        if blog:
            url = blog if "://" in blog else f"http://{blog}"
            host = (urlsplit(url).hostname or "").lower()
            target = self.writer.entity(
                "url", url, name=url, attributes={"host": host}, evidence=[evidence]
            )
            self.writer.link(
                entity, target, "links_to", attributes={"field": "blog"}, evidence=[evidence]
            )
        location = (data.get("location") or "").strip()
        if location:
            target = self.writer.entity("location", location, name=location, evidence=[evidence])
            self.writer.link(entity, target, "located_in", evidence=[evidence])
        company = (data.get("company") or "").strip()
        if company:
            if company.startswith("@") and len(company) > 1 and " " not in company:
                org_login = company[1:]
                target = self.writer.entity(
                    "organization",
                    f"github:{org_login}",
                    name=org_login,
                    attributes={"platform": "github", "login": org_login},
                    evidence=[evidence],
                )
            else:
                target = self.writer.entity(
                    "organization",
                    f"company:{company}",
                    name=company,
                    attributes={"stated_by": "profile"},
                    confidence=0.7,
                    evidence=[evidence],
                )
            self.writer.link(
                entity,
                target,
                "affiliated_with",
                attributes={"field": "company"},
                confidence=0.7,
                evidence=[evidence],
            )

    def summary_account(self, data: dict[str, Any], evidence, *, kind: str | None = None):
        """An account or organization known only from a list item (members, owners)."""
        login = data["login"]
        is_org = (kind or data.get("type")) == "Organization"
        return self.writer.entity(
            "organization" if is_org else "account",
            f"github:{login}",
            name=login,
            attributes={
                "platform": "github",
                **_pick(data, ("id", "login", "html_url", "avatar_url", "type")),
            },
            evidence=[evidence],
        )

    def repository(self, data: dict[str, Any], evidence):
        attributes = _pick(data, _REPO_FIELDS)
        license_info = data.get("license") or {}
        if isinstance(license_info, dict) and license_info.get("spdx_id"):
            attributes["license"] = license_info["spdx_id"]
        repo = self.writer.entity(
            "repository",
            f"github:{data['full_name']}",
            name=data["full_name"],
            attributes={"platform": "github", **attributes},
            evidence=[evidence],
        )
        owner_data = data.get("owner")
        if isinstance(owner_data, dict) and owner_data.get("login"):
            owner = self.summary_account(owner_data, evidence)
            self.writer.link(owner, repo, "owns", evidence=[evidence])
        parent = data.get("parent")
        if isinstance(parent, dict) and parent.get("full_name"):
            origin = self.writer.entity(
                "repository",
                f"github:{parent['full_name']}",
                name=parent["full_name"],
                attributes={"platform": "github"},
                evidence=[evidence],
            )
            self.writer.link(repo, origin, "fork_of", evidence=[evidence])
        return repo


def scrape_user(ctx: JobContext, login: str) -> dict[str, Any]:
    """A user's profile, public repositories, organizations and recent public activity."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    client = build_client(writer)
    graph = GitHubGraph(writer)

    profile = client.get_object(f"/users/{login}", f"GitHub user {login!r}")
    if profile.data.get("type") == "Organization":
        ctx.note(f"{login} is an organization; collected as one")
        return scrape_organization(ctx, login)
    account = graph.account(profile.data, writer.record(profile.response))
    ctx.progress(20)

    repos = _optional(
        ctx,
        "repositories",
        lambda: client.paginate(f"/users/{login}/repos", "repositories", {"type": "owner"}),
    )
    for item, response in repos.items:
        graph.repository(item, writer.record(response))
    ctx.progress(55)

    orgs = _optional(
        ctx, "organizations", lambda: client.paginate(f"/users/{login}/orgs", "organizations")
    )
    for item, response in orgs.items:
        evidence = writer.record(response)
        org = graph.summary_account(item, evidence, kind="Organization")
        writer.link(account, org, "member_of", attributes={"public": True}, evidence=[evidence])
    ctx.progress(75)

    client.max_pages = EVENT_PAGES
    events = _optional(
        ctx,
        "public events",
        lambda: client.paginate(f"/users/{login}/events/public", "public events"),
    )
    contributed = _record_activity(writer, account, login, events)
    ctx.progress(95)

    return {
        "repositories": len(repos.items),
        "organizations": len(orgs.items),
        "events": len(events.items),
        "contributed_repositories": contributed,
    }


def _record_activity(writer: GraphWriter, account, login: str, events: ListAnswer) -> int:
    """Repositories the user pushed to, opened issues in or commented on."""
    counts: dict[str, dict[str, Any]] = {}
    for event, response in events.items:
        repo_name = (event.get("repo") or {}).get("name") or ""
        if "/" not in repo_name or repo_name.strip("/") != repo_name:
            continue
        entry = counts.setdefault(
            repo_name, {"events": 0, "types": set(), "last": "", "response": response}
        )
        entry["events"] += 1
        entry["types"].add(event.get("type") or "")
        entry["last"] = max(entry["last"], event.get("created_at") or "")
    for repo_name, entry in counts.items():
        evidence = writer.record(entry["response"])
        repo = writer.entity(
            "repository",
            f"github:{repo_name}",
            name=repo_name,
            attributes={"platform": "github", "full_name": repo_name},
            evidence=[evidence],
        )
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
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    client = build_client(writer)
    graph = GitHubGraph(writer)

    profile = client.get_object(f"/orgs/{login}", f"GitHub organization {login!r}")
    org = graph.account({**profile.data, "type": "Organization"}, writer.record(profile.response))
    ctx.progress(25)

    # Without a token of a member, GitHub lists the public members only.
    members = _optional(
        ctx, "members", lambda: client.paginate(f"/orgs/{login}/members", "members")
    )
    for item, response in members.items:
        evidence = writer.record(response)
        member = graph.summary_account(item, evidence, kind="User")
        writer.link(member, org, "member_of", attributes={"public": True}, evidence=[evidence])
    ctx.progress(60)

    repos = _optional(
        ctx,
        "repositories",
        lambda: client.paginate(f"/orgs/{login}/repos", "repositories", {"type": "public"}),
    )
    for item, response in repos.items:
        graph.repository(item, writer.record(response))
    ctx.progress(95)
    return {"members": len(members.items), "repositories": len(repos.items)}


def scrape_repository(ctx: JobContext, full_name: str) -> dict[str, Any]:
    """A repository's metadata, contributors, languages, contributor statistics and
    the authors of its recent commits."""
    writer = GraphWriter(ctx.investigation_id, ctx.target_id, SOURCE)
    client = build_client(writer)
    graph = GitHubGraph(writer)

    meta = client.get_object(f"/repos/{full_name}", f"GitHub repository {full_name!r}")
    repo = graph.repository(meta.data, writer.record(meta.response))
    canonical = meta.data.get("full_name") or full_name
    ctx.progress(20)

    contributors = _optional(
        ctx,
        "contributors",
        lambda: client.paginate(f"/repos/{canonical}/contributors", "contributors"),
    )
    for item, response in contributors.items:
        if not item.get("login"):
            continue  # anonymous contributors have no account
        evidence = writer.record(response)
        person = graph.summary_account(item, evidence)
        writer.link(
            person,
            repo,
            "contributes_to",
            attributes={"contributions": item.get("contributions")},
            evidence=[evidence],
        )
    ctx.progress(40)

    languages = _languages(ctx, client, writer, repo, canonical)
    ctx.progress(55)

    stats = client.contributor_stats(canonical)
    stats_evidence = [writer.record(r) for r in stats.responses]
    writer.entity(
        "repository",
        repo.key,
        attributes={
            "contributor_stats": stats.status,
            "contributor_stats_authors": len(stats.data) if stats.status == "ok" else None,
        },
        evidence=stats_evidence,
    )
    if stats.status == "pending":
        ctx.note("contributor statistics: GitHub was still computing them; stored as pending")
    for row in stats.data:
        author = row.get("author") if isinstance(row, dict) else None
        if isinstance(author, dict) and author.get("login"):
            person = graph.summary_account(author, stats_evidence[-1])
            writer.link(
                person,
                repo,
                "contributes_to",
                attributes={"commits": row.get("total")},
                evidence=stats_evidence[-1:],
            )
    ctx.progress(75)

    client.max_pages = COMMIT_PAGES
    commits = _optional(
        ctx, "commits", lambda: client.paginate(f"/repos/{canonical}/commits", "commits")
    )
    authors = _record_commit_authors(writer, graph, repo, commits)
    ctx.progress(95)
    return {
        "contributors": len(contributors.items),
        "languages": languages,
        "contributor_stats": stats.status,
        "commits": len(commits.items),
        "commit_authors": authors,
    }


def _languages(
    ctx: JobContext, client: GitHubClient, writer: GraphWriter, repo, full_name: str
) -> int:
    try:
        answer = client.get_object(f"/repos/{full_name}/languages", "languages")
    except NotFoundError:
        ctx.note("languages: not available from GitHub (HTTP 404)")
        return 0
    evidence = writer.record(answer.response)
    total = sum(v for v in answer.data.values() if isinstance(v, int)) or 1
    for language, size in answer.data.items():
        if not isinstance(size, int):
            continue
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
    return len(answer.data)


def _record_commit_authors(
    writer: GraphWriter, graph: GitHubGraph, repo, commits: ListAnswer
) -> int:
    """Commit author addresses, tied to the account GitHub matched them to."""
    seen = set()
    for item, response in commits.items:
        commit = item.get("commit") or {}
        author = commit.get("author") or {}
        email = (author.get("email") or "").strip().lower()
        if not email or "@" not in email or email.endswith("@users.noreply.github.com"):
            continue
        evidence = writer.record(response)
        address = writer.entity("email", email, name=email, evidence=[evidence])
        writer.link(address, repo, "committed_to", evidence=[evidence])
        account_data = item.get("author")
        if isinstance(account_data, dict) and account_data.get("login"):
            person = graph.summary_account(account_data, evidence)
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
