"""IANA's RDAP bootstrap registry (RFC 9224), shipped with the project.

Which RDAP server answers for which TLD. The file is read once; a lookup never reaches
IANA. Refresh it by replacing scraping/data/rdap/dns.json (see PROVENANCE.md there).
"""

import json
from functools import cache
from pathlib import Path

BOOTSTRAP_FILE = Path(__file__).resolve().parents[1] / "data" / "rdap" / "dns.json"


@cache
def _services(path: Path = BOOTSTRAP_FILE) -> dict[str, list[str]]:
    data = json.loads(path.read_text())
    services: dict[str, list[str]] = {}
    for entries, urls in data.get("services", []):
        # https first: RFC 9224 lists both when a server offers both.
        ordered = sorted(urls, key=lambda url: not url.startswith("https://"))
        for entry in entries:
            services[entry.lower().rstrip(".")] = [
                u if u.endswith("/") else u + "/" for u in ordered
            ]
    return services


def rdap_bases(domain: str, path: Path = BOOTSTRAP_FILE) -> list[str]:
    """Base addresses of the RDAP servers for ``domain`` (an A-label), by the longest
    matching entry, as RFC 9224 section 4 says; empty when the TLD has no RDAP service."""
    services = _services(path)
    labels = domain.lower().rstrip(".").split(".")
    for start in range(1, len(labels)):
        bases = services.get(".".join(labels[start:]))
        if bases:
            return bases
    return []
