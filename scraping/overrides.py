"""Sending a source's requests to one configured address instead of the real hosts.

``SITE_URL_OVERRIDE`` and ``MASTODON_URL_OVERRIDE`` name such an address (the replay world
sets them; so can an analyst with a recording proxy). The request keeps its path and query,
goes to the override's scheme and host, and carries the host it was meant for in the
``X-Original-Host`` header (and its scheme in ``X-Original-Scheme``), so one server can
answer for many hosts and tell them apart.
"""

from urllib.parse import urlsplit, urlunsplit

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
        ORIGINAL_HOST_HEADER: parts.netloc.lower(),
        ORIGINAL_SCHEME_HEADER: parts.scheme.lower(),
    }
