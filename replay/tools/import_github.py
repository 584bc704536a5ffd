"""Build replay/github/fixtures/*.json from the recorded GitHub exchanges in realdata.

    python -m replay.tools.import_github ../shared/realdata/github

Recorded answers are copied as they are (bodies exact; the headers worth replaying kept).
A list recorded over several pages is kept as one list, which the server pages again the
way GitHub does, for any per_page. The few answers built from recorded facts rather than
recorded as such are written to constructed.json, each with the reason and its basis.
"""

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent.parent / "github" / "fixtures"
KEPT_HEADERS = {"etag", "last-modified", "server", "date", "content-type", "x-github-media-type"}

PYGITHUB = {
    # capture file: (which exchange, what it is)
    "NamedUser.testAttributesOfOtherUser": "user profile",
    "NamedUser.testGetRepos": "user repositories",
    "NamedUser.testGetPublicEvents": "user public events (first page)",
    "Organization.setUp": "organization profile",
    "Organization.testGetMembers": "organization members",
    "Repository.setUp": "repository metadata",
    "Repository.testGetContributors": "repository contributors",
    "Exceptions.testUnknownUser": "unknown user, 404",
    "RateLimiting.testGetRateLimit": "rate limit status",
    "RateLimiting.testRateLimiting": "rate limit status and a user profile",
    "SpecificExceptions.testRateLimitExceeded": "user profile, then a 403 rate-limit answer",
    "PaginatedList.testIteration": "issues over 14 pages",
}


def _headers(pairs) -> dict[str, str]:
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return {k.lower(): v for k, v in items if k.lower() in KEPT_HEADERS}


def import_pygithub(root: Path) -> tuple[list[dict], dict]:
    resources: dict[str, dict] = {}
    rate_limit_answer = None
    for capture, what in PYGITHUB.items():
        exchanges = json.loads((root / "pygithub_replaydata" / f"{capture}.json").read_text())
        for exchange in exchanges:
            url = urlsplit(exchange["request"]["url"])
            path = url.path.rstrip("/") or "/"
            response = exchange["response"]
            status, body = response["status"], response["body"]
            provenance = f"PyGithub tests/ReplayData/{capture}.txt ({what})"
            if status == 403 and "rate limit" in json.dumps(body).lower():
                rate_limit_answer = {
                    "status": status,
                    "body": body,
                    "headers": _headers(response["headers"]),
                    "provenance": provenance,
                }
                continue
            key = path.lower()
            if isinstance(body, list) and status == 200:
                entry = resources.setdefault(
                    key,
                    {
                        "path": path,
                        "list": True,
                        "items": [],
                        "headers": _headers(response["headers"]),
                        "provenance": provenance,
                    },
                )
                if url.query in ("", None) or "page=" in url.query:
                    entry["items"].extend(body)
            else:
                resources[key] = {
                    "path": path,
                    "status": status,
                    "body": body,
                    "headers": _headers(response["headers"]),
                    "provenance": provenance,
                }
    return list(resources.values()), rate_limit_answer


def import_octokit(root: Path) -> list[dict]:
    out = []
    fixture = json.loads(
        (root / "octokit_fixtures" / "get-organization.normalized-fixture.json").read_text()
    )
    for exchange in fixture:
        out.append(
            {
                "path": exchange["path"],
                "status": exchange["status"],
                "body": exchange["response"],
                "headers": _headers(exchange["headers"]),
                "provenance": "octokit/fixtures scenarios/api.github.com/get-organization/normalized-fixture.json",
            }
        )
    pages = json.loads(
        (root / "octokit_fixtures" / "paginate-issues.normalized-fixture.json").read_text()
    )
    items = []
    for exchange in pages:
        items.extend(exchange["response"])
    out.append(
        {
            "path": "/repos/octokit-fixture-org/paginate-issues/issues",
            "list": True,
            "items": items,
            "headers": _headers(pages[0]["headers"]),
            "provenance": "octokit/fixtures scenarios/api.github.com/paginate-issues (5 pages of 3, merged)",
        }
    )
    return out


def constructed(resources: list[dict]) -> list[dict]:
    """Answers GitHub would give that no recording holds, built only from recorded facts."""
    by_path = {r["path"].lower(): r for r in resources}
    org = by_path["/orgs/beaversoftware"]["body"]
    members = by_path["/orgs/beaversoftware/members"]["items"]
    contributors = by_path["/repos/pygithub/pygithub/contributors"]["items"]
    org_summary = {
        k: org[k]
        for k in (
            "login",
            "id",
            "node_id",
            "url",
            "repos_url",
            "events_url",
            "hooks_url",
            "issues_url",
            "members_url",
            "public_members_url",
            "avatar_url",
            "description",
        )
    }
    out = []
    for member in members:
        out.append(
            {
                "path": f"/users/{member['login']}/orgs",
                "list": True,
                "items": [org_summary],
                "provenance": "constructed: the recorded BeaverSoftware member list (Organization.testGetMembers) "
                f"shows {member['login']} as a public member; the item is the organization summary "
                "cut from the recorded organization profile (Organization.setUp), in the shape of "
                "GitHub's 'List organizations for a user'.",
            }
        )
    out.append(
        {
            "path": "/repos/PyGithub/PyGithub/stats/contributors",
            "stats": True,
            "items": [
                {"author": c, "total": c["contributions"], "weeks": []} for c in contributors
            ],
            "provenance": "constructed: GitHub answers 202 while it computes statistics, then 200. The 200 body is "
            "built from the recorded contributors (Repository.testGetContributors): author as recorded, "
            "total = recorded contributions; weekly rows are not recorded and are left empty.",
        }
    )
    return out


def main(argv: list[str]) -> None:
    root = Path(argv[1] if len(argv) > 1 else "../shared/realdata/github").resolve()
    resources, rate_limit = import_pygithub(root)
    resources += import_octokit(root)
    HERE.mkdir(parents=True, exist_ok=True)
    (HERE / "recorded.json").write_text(
        json.dumps(
            {"resources": resources, "rate_limit_answer": rate_limit}, indent=1, ensure_ascii=False
        )
        + "\n"
    )
    (HERE / "constructed.json").write_text(
        json.dumps({"resources": constructed(resources)}, indent=1, ensure_ascii=False) + "\n"
    )
    print(f"{len(resources)} recorded resources written to {HERE}")


if __name__ == "__main__":
    main(sys.argv)
