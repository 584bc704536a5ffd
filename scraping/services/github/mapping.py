"""From GitHub objects to entities and relationships.

Everything here comes from answers, which are hostile input: a login or repository name
is used only when it has GitHub's own shape (it later goes into request paths and keys),
and an item that is not an object of the expected shape is skipped and counted.
"""

import re
from typing import Any
from urllib.parse import urlsplit

from investigations.models import Entity
from investigations.services.graph import GraphWriter

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

PROFILE_FIELDS = (
    "id", "login", "type", "name", "company", "blog", "location", "email", "bio",
    "twitter_username", "public_repos", "public_gists", "followers", "following",
    "created_at", "updated_at", "html_url", "avatar_url", "hireable", "description",
    "is_verified",
)  # fmt: skip
REPO_FIELDS = (
    "id", "full_name", "description", "language", "fork", "archived", "homepage", "html_url",
    "default_branch", "size", "stargazers_count", "watchers_count", "forks_count",
    "open_issues_count", "created_at", "updated_at", "pushed_at", "topics", "visibility",
)  # fmt: skip


def login_of(data: Any) -> str | None:
    """The item's login when it is an object with a login of GitHub's shape."""
    login = data.get("login") if isinstance(data, dict) else None
    return login if isinstance(login, str) and LOGIN.match(login) else None


def full_name_of(data: Any) -> str | None:
    """The item's OWNER/NAME when it is an object with a full name of GitHub's shape."""
    full_name = data.get("full_name") if isinstance(data, dict) else None
    if not isinstance(full_name, str) or full_name.count("/") != 1:
        return None
    owner, name = full_name.split("/")
    if LOGIN.match(owner) and REPO_NAME.match(name) and name not in {".", ".."}:
        return full_name
    return None


def pick(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: data.get(name) for name in fields if name in data}


class GitHubGraph:
    def __init__(self, writer: GraphWriter):
        self.writer = writer
        self.skipped = 0  # list items of the wrong shape, for the job's notes

    def account(self, data: dict[str, Any], evidence, login: str) -> Entity:
        """A full profile (user or organization) with its profile links."""
        is_org = data.get("type") == "Organization"
        entity = self.writer.entity(
            "organization" if is_org else "account",
            f"github:{login}",
            name=login,
            attributes={"platform": "github", **pick(data, PROFILE_FIELDS), "login": login},
            evidence=[evidence],
        )
        self._profile_links(entity, data, evidence)
        return entity

    def summary_account(self, data: Any, evidence, *, kind: str | None = None) -> Entity | None:
        """An account or organization known only from a list item (members, owners)."""
        login = login_of(data)
        if login is None:
            self.skipped += 1
            return None
        is_org = (kind or data.get("type")) == "Organization"
        return self.writer.entity(
            "organization" if is_org else "account",
            f"github:{login}",
            name=login,
            attributes={
                "platform": "github",
                **pick(data, ("id", "html_url", "avatar_url", "type")),
                "login": login,
            },
            evidence=[evidence],
        )

    def repository(self, data: Any, evidence) -> Entity | None:
        full_name = full_name_of(data)
        if full_name is None:
            self.skipped += 1
            return None
        attributes = pick(data, REPO_FIELDS)
        license_info = data.get("license")
        if isinstance(license_info, dict) and isinstance(license_info.get("spdx_id"), str):
            attributes["license"] = license_info["spdx_id"]
        repo = self.writer.entity(
            "repository",
            f"github:{full_name}",
            name=full_name,
            attributes={"platform": "github", **attributes},
            evidence=[evidence],
        )
        owner = self.summary_account(data.get("owner"), evidence) if data.get("owner") else None
        if owner is not None:
            self.writer.link(owner, repo, "owns", evidence=[evidence])
        parent = full_name_of(data.get("parent"))
        if parent:
            origin = self.repository_stub(parent, evidence)
            self.writer.link(repo, origin, "fork_of", evidence=[evidence])
        self._same_repository(repo, attributes.get("id"), evidence)
        return repo

    def repository_stub(self, full_name: str, evidence) -> Entity:
        return self.writer.entity(
            "repository",
            f"github:{full_name}",
            name=full_name,
            attributes={"platform": "github", "full_name": full_name},
            evidence=[evidence],
        )

    def _same_repository(self, repo: Entity, repo_id: Any, evidence) -> None:
        """A repository renamed or transferred keeps its id: two names, one repository."""
        if not isinstance(repo_id, int):
            return
        others = Entity.objects.filter(
            investigation_id=repo.investigation_id, kind="repository", attributes__id=repo_id
        ).exclude(pk=repo.pk)
        for other in others:
            self.writer.link(
                other,
                repo,
                "same_as",
                attributes={"reason": "same GitHub repository id"},
                evidence=[evidence],
            )

    def _profile_links(self, entity: Entity, data: dict[str, Any], evidence) -> None:
        email = data.get("email")
        if isinstance(email, str) and "@" in email.strip():
            target = self.writer.entity(
                "email", email.strip(), name=email.strip(), evidence=[evidence]
            )
            self.writer.link(entity, target, "has_email", evidence=[evidence])
        blog = data.get("blog")
        if isinstance(blog, str) and blog.strip():
            url = blog.strip() if "://" in blog else f"http://{blog.strip()}"
            host = (urlsplit(url).hostname or "").lower() if _parses(url) else ""
            target = self.writer.entity(
                "url", url, name=url, attributes={"host": host}, evidence=[evidence]
            )
            self.writer.link(
                entity, target, "links_to", attributes={"field": "blog"}, evidence=[evidence]
            )
        location = data.get("location")
        if isinstance(location, str) and location.strip():
            target = self.writer.entity(
                "location", location.strip(), name=location.strip(), evidence=[evidence]
            )
            self.writer.link(entity, target, "located_in", evidence=[evidence])
        company = data.get("company")
        if isinstance(company, str) and company.strip():
            self._company(entity, company.strip(), evidence)

    def _company(self, entity: Entity, company: str, evidence) -> None:
        # "@acme" names a GitHub organization; anything else is free text.
        handle = company[1:] if company.startswith("@") else None
        if handle and LOGIN.match(handle):
            target = self.writer.entity(
                "organization",
                f"github:{handle}",
                name=handle,
                attributes={"platform": "github", "login": handle},
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


def _parses(url: str) -> bool:
    try:
        urlsplit(url).hostname  # noqa: B018 - raises on a malformed port or address
    except ValueError:
        return False
    return True
