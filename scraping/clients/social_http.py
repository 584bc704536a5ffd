"""What the Mastodon and Bluesky clients share: lenient JSON reading and the mapping of
an API's error statuses to the errors the task runner acts on."""

import json
from typing import Any

from investigations.errors import NotFoundError, PermanentError, RateLimited, TransientError

from ..http import HttpResponse


def read_json(response: HttpResponse, what: str) -> Any:
    """The answer's JSON. Broken bytes inside a string (a bio in a bad encoding) are
    replaced rather than losing the whole answer; a cut-off or non-JSON body is refused."""
    if response.truncated:
        raise PermanentError(f"{what}: the answer was larger than the limit and was cut off")
    try:
        return json.loads(response.body.decode("utf-8", errors="replace") or "null")
    except ValueError as exc:
        raise PermanentError(
            f"{what}: the answer (HTTP {response.status}) is not valid JSON: {exc}"
        ) from exc


def read_answer(response: HttpResponse, what: str) -> Any:
    """The JSON of a good answer; of an error answer, whatever JSON it has (or None)."""
    if response.status < 400:
        return read_json(response, what)
    try:
        return read_json(response, what)
    except PermanentError:
        return None


def retry_after(response: HttpResponse, default: float = 60.0) -> float:
    value = (response.header("retry-after") or "").strip()
    return float(value) if value.isdigit() else default


def raise_for_status(response: HttpResponse, what: str, platform: str, message: str = "") -> None:
    """404/410 are "not found"; 429 and 5xx may pass; other refusals will not."""
    status = response.status
    if status < 400:
        return
    said = f": {message[:300]}" if message else ""
    if status in (404, 410):
        raise NotFoundError(f"{what} not found on {platform}{said}")
    if status == 429:
        wait = retry_after(response)
        raise RateLimited(
            f"{platform} rate limit reached for {what}; retry in {wait:.0f} s", retry_after=wait
        )
    if status >= 500:
        raise TransientError(f"{platform} answered HTTP {status} for {what}{said}")
    raise PermanentError(f"{platform} answered HTTP {status} for {what}{said}")
