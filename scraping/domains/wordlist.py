"""The subdomain wordlists shipped in ``wordlists/`` (GPL-2.0 data, see PROVENANCE.md
there), read as host labels (a few entries are two labels deep): lower case, each once, in the list's order of frequency."""

import re
from collections.abc import Iterator
from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent / "wordlists"
WORDLISTS = {
    "top-5000": "subdomains-top1mil-5000.txt",
    "top-20000": "subdomains-top1mil-20000.txt",
    "namelist": "namelist.txt",
}
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def read_wordlist(name: str, size: int | None = None) -> list[str]:
    """The first ``size`` usable labels of a shipped list (all of them when None)."""
    if name not in WORDLISTS:
        raise ValueError(f"Unknown wordlist {name!r}; one of: {', '.join(WORDLISTS)}")
    return list(_labels(DIRECTORY / WORDLISTS[name], size))


def _labels(path: Path, size: int | None) -> Iterator[str]:
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if size is not None and len(seen) >= size:
                return
            label = line.strip().lower()
            # Some entries are two levels deep (www.blog): each label must be a label.
            if label in seen or not all(_LABEL.match(part) for part in label.split(".")):
                continue
            seen.add(label)
            yield label
