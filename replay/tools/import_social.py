"""Build the Mastodon and Bluesky replay fixtures from the recorded exchanges.

    python -m replay.tools.import_social --realdata ../shared/realdata

Reads the recordings listed in replay/mastodon/PROVENANCE.md and replay/bluesky/PROVENANCE.md
and writes ``fixtures/recorded.json`` beside each server: response bodies exactly as
recorded, grouped so the servers can answer lookups and page through posts.
"""

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPLAY = Path(__file__).resolve().parent.parent
# The Mastodon.py recordings were made against a development server on localhost:3000;
# the replay serves them under this reserved test host instead.
MASTODONPY_HOST = "mastodonpy.test"


def _exchanges(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def _mastodon(realdata: Path) -> dict:
    recorded = realdata / "social" / "mastodon_recorded"
    docs = realdata / "social" / "mastodon"
    lookup = _exchanges(recorded / "mastodon_py" / "test_account_lookup.json")
    account = next(
        json.loads(x["response"]["body"])
        for x in lookup
        if x["request"]["uri"].endswith("acct=mastodonpy_test")
    )
    not_found = next(x["response"] for x in lookup if x["response"]["status"] == 404)
    paging = _exchanges(recorded / "mastodon_py" / "test_fetch_next_previous.json")
    created = [
        json.loads(x["response"]["body"])
        for x in paging
        if x["request"]["method"] == "POST" and x["request"]["uri"].endswith("/api/v1/statuses")
    ]
    second = _exchanges(recorded / "mastodon_py" / "test_accounts.json")
    account_2 = next(
        json.loads(x["response"]["body"])
        for x in second
        if x["request"]["uri"].endswith("acct=mastodonpy_test_2")
    )
    webfinger = []
    for name in ("webfinger.json", "activitypub-webfinger.json"):
        exchange = _exchanges(recorded / "webfinger" / name)[0]
        body = json.loads(exchange["response"]["body"])
        webfinger.append(
            {
                "resource": body["subject"],
                "status": exchange["response"]["status"],
                "content_type": exchange["response"]["headers"].get("Content-Type", ""),
                "body": exchange["response"]["body"],
                "recorded_in": f"social/mastodon_recorded/webfinger/{name}",
            }
        )
    noiob = json.loads((docs / "entity_Account.example.json").read_text(encoding="utf-8"))
    gargron = json.loads((docs / "method_api_v1_accounts_id.200.json").read_text(encoding="utf-8"))
    status = json.loads((docs / "entity_Status.example.json").read_text(encoding="utf-8"))
    return {
        "instances": {
            MASTODONPY_HOST: {
                "recorded_in": "social/mastodon_recorded/mastodon_py (test_account_lookup, "
                "test_accounts, test_fetch_next_previous)",
                "accounts": [
                    {"account": account, "statuses": created},
                    {"account": account_2, "statuses": []},
                ],
            },
            "mastodon.social": {
                "recorded_in": "social/mastodon (documentation examples: GET /api/v1/accounts/:id "
                "200 and the Status entity)",
                "accounts": [{"account": gargron, "statuses": [status]}],
            },
            "awoo.space": {
                "recorded_in": "social/mastodon/entity_Account.example.json",
                "accounts": [{"account": noiob, "statuses": []}],
            },
        },
        "webfinger": webfinger,
        "lookup_not_found": {"status": not_found["status"], "body": not_found["body"]},
        "unauthorized": json.loads(
            (docs / "method_api_v1_accounts_id.401.json").read_text(encoding="utf-8")
        ),
    }


def _bluesky(realdata: Path) -> dict:
    base = realdata / "social" / "bluesky"
    profiles, handles, feeds = [], {}, {}
    for path in sorted((base / "atrrr_recorded").glob("*.json")) + sorted(
        (base / "bskyr_vcr").glob("*.json")
    ):
        for exchange in _exchanges(path):
            uri = exchange["request"]["uri"]
            parts = urlsplit(uri)
            method = parts.path.rsplit("/", 1)[-1]
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if exchange["response"]["status"] != 200:
                continue
            body = json.loads(exchange["response"]["body"])
            source = f"social/bluesky/{path.parent.name}/{path.name}"
            if method == "app.bsky.actor.getProfile":
                profiles.append({"profile": body, "recorded_in": source})
            elif method == "app.bsky.actor.getProfiles":
                profiles += [{"profile": p, "recorded_in": source} for p in body["profiles"]]
            elif method == "com.atproto.identity.resolveHandle":
                handles[query["handle"].lower()] = body["did"]
            elif method == "app.bsky.feed.getAuthorFeed":
                feeds[query["actor"].lower()] = {
                    "feed": body["feed"],
                    "recorded_cursor": body.get("cursor"),
                    "recorded_in": source,
                }
    for entry in profiles:
        handles.setdefault(entry["profile"]["handle"].lower(), entry["profile"]["did"])
    return {"profiles": profiles, "handles": handles, "feeds": feeds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, required=True)
    args = parser.parse_args(argv)
    for name, data in (
        ("mastodon", _mastodon(args.realdata)),
        ("bluesky", _bluesky(args.realdata)),
    ):
        out = REPLAY / name / "fixtures" / "recorded.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
