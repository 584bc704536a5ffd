"""Build ``scraping/data/sites.json`` from the public site lists.

    python -m scraping.usernames.build_manifest --sources ../shared/realdata/sites

Every site of Sherlock's list (MIT) becomes one entry in our format (SITES.md): its
addresses, username rule and missing-profile sign are translated, and a sign given as a
literal JSON answer becomes a JSON-field test. Maigret's list (MIT) supplies what Sherlock's
lacks: category tags, the texts by which a site says "blocked" or "captcha", and which sites
sit behind a login. The output is sorted and stable, so a rebuild shows as a small diff.
"""

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .manifest import FORMAT, PLACEHOLDER, DetectMethod, parse_manifest

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "sites.json"
SOURCES = [
    {
        "name": "Sherlock site list",
        "repository": "sherlock-project/sherlock",
        "path": "sherlock_project/resources/data.json",
        "commit": "4e2a4f6b66433849abe46cae76ed557c6c8313c8",
        "licence": "MIT",
        "used_for": "sites, addresses, username rules, missing-profile signs",
    },
    {
        "name": "Maigret site list",
        "repository": "soxoj/maigret",
        "path": "maigret/resources/data.json",
        "commit": "149acb17832862857c67facf99ea7094d16a3969",
        "licence": "MIT",
        "used_for": "tags, blocked/captcha texts, login protection",
    },
]

# Sherlock writes some missing-profile signs as the whole JSON answer. Where that answer
# is one field (or the whole body) holding one value, the test is made on the parsed
# field instead of on the text; the sign's text stays byte-for-byte what the site sends.
JSON_SIGNS = {
    '{"taken":false}': ("taken", False),
    '{"users":[]}': ("users", []),
    "[]": ("", []),
    '{"success":false}': ("success", False),
    '{"result":"ok"}': ("result", "ok"),
    '"users":{}': ("users", {}),
}
# Sites that answer anonymous visitors with a login page whatever the profile: a
# redirect to a login there says nothing about the account.
WALLED = {"instagram", "linkedin", "threads"}
# Tags for sites Maigret does not list or tags by country only; its two-letter country
# tags are kept apart from the categories.
CATEGORY_TAGS_FALLBACK = {
    "aparat": ["video"],
    "carrd": ["links"],
    "cracked": ["forum", "hacking"],
    "digitalspy": ["forum", "news"],
    "eyeem": ["photo"],
    "spacehey": ["social"],
    "themoviedb": ["movies"],
    # Maigret knows these but gives them only a country tag.
    "babyru": ["parenting"],
    "d3ru": ["discussion"],
    "f3.cool": ["social"],
    "gitee": ["coding"],
    "hackenproof-hackers": ["hacking"],
    "jimdo": ["blog"],
    "kwork": ["freelance"],
    "mastodon.cloud": ["mastodon", "social"],
    "mastodon.xyz": ["mastodon", "social"],
    "mercadolivre": ["shopping"],
    "naver": ["blog"],
    "nightbot": ["streaming"],
    "plurk": ["social"],
    "pr0gramm": ["sharing"],
    "prog.hu": ["coding", "forum"],
    "satsisru": ["discussion"],
    "soop": ["streaming"],
    "soylentnews": ["news"],
    "tellonym.me": ["social"],
    "uid": ["links"],
}
_PROTECTION_WALLS = {"login"}
# Sherlock counts a rate-limit page as "missing"; here it is a refusal, hence "unknown".
_REFUSAL = re.compile(r"\b429\b|too many requests|rate.?limit", re.IGNORECASE)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.")


def _host(url: str | None) -> str:
    if not url:
        return ""
    host = (urlsplit(url.replace("{}", "x").replace("{username}", "x")).hostname or "").lower()
    return host.removeprefix("www.")


def _maigret_index(maigret: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    by_name = {name.lower(): entry for name, entry in maigret.items()}
    by_host: dict[str, dict] = {}
    for entry in maigret.values():
        for url in (entry.get("urlMain"), entry.get("url")):
            host = _host(url)
            if host and "{" not in host:
                by_host.setdefault(host, entry)
    return by_name, by_host


def _tags(site_id: str, entry: dict | None) -> tuple[list[str], list[str]]:
    raw = [t.lower() for t in (entry or {}).get("tags", [])]
    countries = sorted({t for t in raw if len(t) == 2 and t.isalpha()})
    categories = sorted({t for t in raw if t not in countries})
    if not categories:
        categories = CATEGORY_TAGS_FALLBACK.get(site_id, ["other"])
    return categories, countries


def _detection(name: str, data: dict[str, Any]) -> dict[str, Any]:
    kind = data["errorType"]
    if kind == "status_code":
        codes = data.get("errorCode") or []
        codes = [codes] if isinstance(codes, int) else list(codes)
        return {"method": DetectMethod.STATUS.value, "missing_status": codes}
    if kind == "response_url":
        detect: dict[str, Any] = {"method": DetectMethod.REDIRECT.value}
        if data.get("errorUrl"):
            detect["missing_url"] = data["errorUrl"].replace("{}", PLACEHOLDER)
        return detect
    if kind == "message":
        texts = data["errorMsg"]
        texts = [texts] if isinstance(texts, str) else list(texts)
        if texts[0] in JSON_SIGNS:
            field, value = JSON_SIGNS[texts[0]]
            return {"method": DetectMethod.JSON.value, "field": field, "missing": [value]}
        missing = [t for t in texts if not _REFUSAL.search(t)] or texts
        return {"method": DetectMethod.TEXT.value, "missing_text": missing}
    raise ValueError(f"{name}: unknown errorType {kind!r}")


def _unknown_texts(data: dict[str, Any], entry: dict | None, detect: dict) -> dict[str, str]:
    texts = {str(k): str(v) for k, v in ((entry or {}).get("errors") or {}).items()}
    signs = data.get("errorMsg") or []
    signs = [signs] if isinstance(signs, str) else signs
    if detect["method"] == DetectMethod.JSON.value:
        # The other signs Sherlock lists beside a JSON one are refusals, not absences.
        texts.update({text: "the site refused the check (rate limit)" for text in signs[1:]})
    elif detect["method"] == DetectMethod.TEXT.value:
        refusals = [t for t in signs if t not in detect["missing_text"]]
        texts.update({text: "the site refused the check (rate limit)" for text in refusals})
    return texts


def convert_site(name: str, data: dict[str, Any], entry: dict | None) -> tuple[str, dict]:
    site_id = slug(name)
    detect = _detection(name, data)
    site: dict[str, Any] = {
        "name": name,
        "home": data["urlMain"],
        "profile": data["url"].replace("{}", PLACEHOLDER),
        "detect": detect,
    }
    request: dict[str, Any] = {}
    if data.get("urlProbe"):
        request["url"] = data["urlProbe"].replace("{}", PLACEHOLDER)
    if data.get("request_method") and data["request_method"] != "GET":
        request["method"] = data["request_method"]
    if data.get("headers"):
        request["headers"] = data["headers"]
    if data.get("request_payload") is not None:
        payload = json.dumps(data["request_payload"]).replace('"{}"', json.dumps(PLACEHOLDER))
        request["json"] = json.loads(payload)
    if request:
        site["request"] = request
    if data.get("regexCheck"):
        site["username"] = {"pattern": data["regexCheck"]}
    categories, countries = _tags(site_id, entry)
    site["tags"] = categories
    if countries:
        site["countries"] = countries
    unknown = _unknown_texts(data, entry, detect)
    if unknown:
        site["unknown_text"] = unknown
    protection = sorted((entry or {}).get("protection") or [])
    if protection:
        site["protection"] = protection
    if site_id in WALLED or _PROTECTION_WALLS.intersection(protection):
        site["walled"] = True
    if data.get("isNSFW"):
        site["nsfw"] = True
    site["claimed"] = data["username_claimed"]
    site["origin"] = "sherlock"
    return site_id, site


def build(sources: Path) -> dict[str, Any]:
    sherlock = json.loads((sources / "sherlock_data.json").read_text(encoding="utf-8"))
    maigret = json.loads((sources / "maigret_data.json").read_text(encoding="utf-8"))["sites"]
    by_name, by_host = _maigret_index(maigret)
    sites: dict[str, dict] = {}
    seen: dict[str, str] = {}
    for name, data in sherlock.items():
        if not isinstance(data, dict) or "errorType" not in data:
            continue  # the "$schema" key
        entry = (
            by_name.get(name.lower())
            or by_host.get(_host(data["urlMain"]))
            or by_host.get(_host(data["url"]))
        )
        site_id, site = convert_site(name, data, entry)
        if site_id in sites:
            raise ValueError(f"two sites share the id {site_id!r}")
        # The list names a few sites twice under two names: one entry, the other an alias,
        # so one account is not reported as two.
        address = json.dumps([site["profile"].lower(), site.get("request")], sort_keys=True)
        if address in seen:
            sites[seen[address]].setdefault("aliases", []).append(name)
            continue
        seen[address] = site_id
        sites[site_id] = site
    document = {
        "format": FORMAT,
        "generated_by": "python -m scraping.usernames.build_manifest",
        "sources": SOURCES,
        "sites": dict(sorted(sites.items())),
    }
    parse_manifest(document)  # refuse to write what would not load
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, required=True, help="folder with both lists")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    document = build(args.sources)
    args.output.write_text(
        json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    tags: dict[str, int] = {}
    for site in document["sites"].values():
        for tag in site["tags"]:
            tags[tag] = tags.get(tag, 0) + 1
    print(f"{len(document['sites'])} sites written to {args.output}", file=sys.stderr)
    print("tags: " + ", ".join(f"{t} {n}" for t, n in sorted(tags.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
