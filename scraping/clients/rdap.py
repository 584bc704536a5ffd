"""A client for RDAP domain look-ups (RFC 7480-7484, 9082-9083, 9224).

- The registry's server comes from IANA's bootstrap registry shipped with the project.
- Like other RDAP clients, it then follows the registry's ``related`` link to the
  registrar's own RDAP server, once, for what only the registrar publishes.
- ``RDAP_URL`` sends every request to one base address instead, with the original
  server's host and path after it (``{RDAP_URL}/rdap.verisign.com/com/v1/domain/x.com``),
  so a replay or a caching proxy can still tell registries apart.
- 404 means the registry holds no such domain; 429 and 5xx are transient (Retry-After
  honoured); any other error is permanent with the server's own title.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from investigations.errors import NotFoundError, PermanentError, RateLimited, TransientError

from .. import platforms
from ..http import HttpClient, HttpResponse
from ..registration.bootstrap import rdap_bases

ACCEPT = "application/rdap+json, application/json;q=0.9"


class NoRdapService(PermanentError):
    """IANA's bootstrap registry names no RDAP server for the TLD."""


@dataclass
class RdapAnswer:
    data: dict[str, Any]
    response: HttpResponse
    url: str  # the address meant, before any RDAP_URL rewriting


def _retry_after(response: HttpResponse) -> float | None:
    value = (response.header("retry-after") or "").strip()
    return float(value) if value.isdigit() else None


class RdapClient:
    def __init__(
        self,
        *,
        http: HttpClient | None = None,
        base_override: str | None = None,
        on_response: Callable[[HttpResponse], None] | None = None,
    ):
        self.http = http or HttpClient(platform=platforms.RDAP, cache_answers=True)
        self.base_override = base_override.rstrip("/") if base_override else None
        self.on_response = on_response

    def routed(self, url: str) -> str:
        """Where a request for ``url`` is sent: itself, or RDAP_URL with its host in the path."""
        if not self.base_override:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.base_override}/{parts.netloc}{parts.path}{query}"

    def domain_url(self, domain: str) -> str:
        bases = rdap_bases(domain)
        if not bases:
            raise NoRdapService(f"IANA's bootstrap registry names no RDAP server for {domain}")
        return f"{bases[0]}domain/{domain}"

    def get(self, url: str, what: str) -> RdapAnswer:
        # Without RDAP_URL the server comes from the bootstrap registry or a registry's
        # answer (the registrar's link): untrusted, so pinned to checked addresses.
        response = self.http.get(
            self.routed(url),
            headers={"Accept": ACCEPT},
            untrusted=not self.base_override,
            # Each registry's and registrar's server has its own limits.
            platform=platforms.member_for_url(platforms.RDAP, url),
        )
        if self.on_response:
            self.on_response(response)
        self._raise_for_status(response, what)
        data = response.json()
        if not isinstance(data, dict):
            raise PermanentError(f"The RDAP answer for {what} is not a JSON object")
        return RdapAnswer(data, response, url)

    def _raise_for_status(self, response: HttpResponse, what: str) -> None:
        status = response.status
        if status < 400:
            return
        title = self._title(response)
        if status == 404:
            raise NotFoundError(f"The RDAP server holds no record of {what}")
        if status == 429 or status >= 500:
            error = RateLimited if status == 429 else TransientError
            raise error(
                f"The RDAP server answered HTTP {status} for {what}{title}",
                retry_after=_retry_after(response),
            )
        raise PermanentError(f"The RDAP server answered HTTP {status} for {what}{title}")

    @staticmethod
    def _title(response: HttpResponse) -> str:
        try:
            data = response.json()
        except PermanentError:
            return ""
        if isinstance(data, dict):
            words = [str(data.get("title") or ""), *map(str, data.get("description") or [])]
            text = " ".join(w for w in words if w).strip()
            return f": {text[:200]}" if text else ""
        return ""
