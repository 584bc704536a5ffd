"""A client for certificate-transparency search in crt.sh's JSON form.

``GET {base}/?q=%.example.com&output=json`` lists one row per log entry of every
certificate naming the domain or a name below it. A certificate is often logged twice
(as precertificate and as certificate) with one serial number, so rows are merged per
issuer and serial. ``name_value`` holds the certificate's names separated by new lines;
they are kept as printed here and read as names by the caller.

crt.sh is often slow and overloaded: 429 and 5xx answers are transient; an answer that
is not JSON, or too large and cut off by the HTTP layer, is a permanent error that says
so.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from investigations.errors import PermanentError, RateLimited, TransientError

from ..http import HttpClient, HttpResponse

logger = logging.getLogger(__name__)


@dataclass
class Certificate:
    issuer_ca_id: int | None
    issuer_name: str
    serial_number: str
    common_name: str = ""
    not_before: str | None = None
    not_after: str | None = None
    names: list[str] = field(default_factory=list)
    log_entries: list[int] = field(default_factory=list)  # crt.sh ids
    first_logged: str | None = None

    @property
    def key(self) -> str:
        return f"ct:{self.issuer_ca_id}:{self.serial_number}"


@dataclass
class CtSearch:
    domain: str
    certificates: list[Certificate]
    response: HttpResponse
    rows: int
    skipped_rows: int = 0


def _utc(value: Any) -> str | None:
    """crt.sh writes UTC times without a zone; give them one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


class CtClient:
    def __init__(
        self,
        *,
        base_url: str,
        http: HttpClient,
        on_response: Callable[[HttpResponse], Any] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.on_response = on_response

    def search(self, domain: str) -> CtSearch:
        """Every logged certificate for ``domain`` and the names below it."""
        response = self.http.get(f"{self.base_url}/", params={"q": f"%.{domain}", "output": "json"})
        if self.on_response is not None:
            self.on_response(response)
        self._check_status(response)
        rows = response.json()
        if not isinstance(rows, list):
            raise PermanentError(
                f"The certificate search at {self.base_url} answered {type(rows).__name__}, "
                "not a list of certificates"
            )
        certificates, skipped = self._merge(rows)
        return CtSearch(domain, certificates, response, len(rows), skipped)

    def _check_status(self, response: HttpResponse) -> None:
        if response.status == 200:
            return
        if response.status == 429 or response.status >= 500:
            retry_after = response.header("retry-after")
            error = RateLimited if response.status == 429 else TransientError
            raise error(
                f"The certificate search at {self.base_url} answered HTTP {response.status}",
                retry_after=float(retry_after) if (retry_after or "").isdigit() else None,
            )
        raise PermanentError(
            f"The certificate search at {self.base_url} answered HTTP {response.status}"
        )

    @staticmethod
    def _merge(rows: list[Any]) -> tuple[list[Certificate], int]:
        merged: dict[tuple[Any, str], Certificate] = {}
        skipped = 0
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("name_value"), str):
                skipped += 1
                continue
            serial = str(row.get("serial_number") or f"entry-{row.get('id')}")
            issuer_id = (
                row.get("issuer_ca_id") if isinstance(row.get("issuer_ca_id"), int) else None
            )
            certificate = merged.setdefault(
                (issuer_id, serial),
                Certificate(
                    issuer_ca_id=issuer_id,
                    issuer_name=str(row.get("issuer_name") or ""),
                    serial_number=serial,
                    common_name=str(row.get("common_name") or ""),
                    not_before=_utc(row.get("not_before")),
                    not_after=_utc(row.get("not_after")),
                ),
            )
            names = row["name_value"].split("\n") + [certificate.common_name]
            for name in names:
                name = name.strip()
                if name and name not in certificate.names:
                    certificate.names.append(name)
            if isinstance(row.get("id"), int) and row["id"] not in certificate.log_entries:
                certificate.log_entries.append(row["id"])
            logged = _utc(row.get("entry_timestamp"))
            if logged and (certificate.first_logged is None or logged < certificate.first_logged):
                certificate.first_logged = logged
        return list(merged.values()), skipped
