"""Sending a source's requests to one configured address instead of the real hosts.

``SITE_URL_OVERRIDE`` and ``MASTODON_URL_OVERRIDE`` name such an address (the replay world
sets them; so can an analyst with a recording proxy). The request keeps its path and query,
goes to the override's scheme and host, and carries the host it was meant for in the
``X-Original-Host`` header (and its scheme in ``X-Original-Scheme``), so one server can
answer for many hosts and tell them apart.
"""

from urllib.parse import urlsplit, urlunsplit

from .domains.names import to_ascii

ORIGINAL_HOST_HEADER = "X-Original-Host"
ORIGINAL_SCHEME_HEADER = "X-Original-Scheme"


def route(url: str, override: str | None) -> tuple[str, dict[str, str]]:
    """The address to request for ``url`` and the headers that carry its real host."""
    if not override:
        return url, {}
    parts = urlsplit(url)
    base = urlsplit(override)
    path = base.path.rstrip("/") + (parts.path or "/")
    routed = urlunsplit((base.scheme, base.netloc, path, parts.query, ""))
    return routed, {
        ORIGINAL_HOST_HEADER: _ascii_netloc(parts.netloc),
        ORIGINAL_SCHEME_HEADER: parts.scheme.lower(),
    }


def _ascii_netloc(netloc: str) -> str:
    """The host and port as they travel in a header: a name outside ASCII in A-labels
    (a header carries bytes, and the server reading it may not read them as UTF-8)."""
    netloc = netloc.rpartition("@")[2].lower()
    if netloc.isascii():
        return netloc
    host, colon, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not colon or not port.isdigit():
        host, colon, port = netloc, "", ""
    try:
        host = to_ascii(host)
    except ValueError:
        return netloc  # not a name that has an ASCII form: sent as it is
    return f"{host}{colon}{port}"
