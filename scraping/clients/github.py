"""A client for GitHub's REST API on requests.

- The base address is a setting, so GitHub Enterprise works by changing it.
- Lists ask for 100 items a page and follow ``Link: rel="next"`` to the end.
- Answers are validated with ETags: an unchanged resource answers 304, costs no quota,
  and the copy kept from last time is used.
- A primary rate limit (403/429 with no requests remaining) is waited out when its reset
  is near, and handed back as a transient error with the wait when it is not; a
  secondary limit's Retry-After is honoured the same way.
- 404 is "not found"; 5xx and connection faults are transient; anything else odd is
  permanent, with the status and GitHub's own message.
- Requests go through the platform's shared limits (``HttpClient(platform="github")``):
  a rate-limit answer also pauses GitHub for every other worker until its reset.
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache

from investigations.errors import NotFoundError, PermanentError, RateLimited, TransientError

from .. import ratelimit
from ..http import HttpClient, HttpResponse

logger = logging.getLogger(__name__)

PLATFORM = "github"
PER_PAGE = 100
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
# How long a validator (ETag) is kept for conditional requests.
ETAG_CACHE_SECONDS = 7 * 24 * 3600
_MAX_RATE_LIMIT_WAITS = 3


def parse_link_header(value: str | None) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="last"`` as {"next": url, "last": url}."""
    return {rel: url for url, rel in _LINK.findall(value or "")}


@dataclass
class Answer:
    data: Any
    response: HttpResponse


@dataclass
class ListAnswer:
    items: list[tuple[Any, HttpResponse]] = field(default_factory=list)
    responses: list[HttpResponse] = field(default_factory=list)
    complete: bool = True

    @property
    def data(self) -> list[Any]:
        return [item for item, _ in self.items]


@dataclass
class StatsAnswer:
    status: str  # "ok", "pending" (GitHub still computing) or "empty"
    data: list[Any]
    responses: list[HttpResponse]


class GitHubClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        http: HttpClient | None = None,
        rate_limit_max_wait: float = 60.0,
        max_pages: int = 50,
        stats_attempts: int = 4,
        stats_base_delay: float = 2.0,
        on_response: Callable[[HttpResponse], None] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.http = http or HttpClient(platform=PLATFORM)
        self.rate_limit_max_wait = rate_limit_max_wait
        self.max_pages = max_pages
        self.stats_attempts = stats_attempts
        self.stats_base_delay = stats_base_delay
        self.on_response = on_response
        # Looked up at call time, so that a worker's cooperative (gevent) sleep is used.
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        self.clock = clock
        # Validators are kept per identity: what a token sees may differ from anonymous.
        self._identity = hashlib.sha256((token or "anonymous").encode()).hexdigest()[:16]

    # -- requests ---------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _cache_key(self, url: str) -> str:
        return "github:etag:" + hashlib.sha256(f"{self._identity} {url}".encode()).hexdigest()

    def _rate_limit_wait(self, response: HttpResponse) -> float | None:
        """Seconds to wait when the answer is a rate limit, None when it is not one."""
        if response.status not in (403, 429):
            return None
        retry_after = response.header("retry-after")
        if retry_after and retry_after.strip().isdigit():
            return float(retry_after)
        remaining = response.header("x-ratelimit-remaining")
        reset = response.header("x-ratelimit-reset")
        if remaining == "0":
            if reset and reset.strip().isdigit():
                return max(0.0, float(reset) - self.clock()) + 1.0
            return 60.0
        if response.status == 429 or b"rate limit" in response.body[:2000].lower():
            return 60.0
        return None

    def _send(self, url: str, params: dict[str, Any] | None = None) -> HttpResponse:
        full_url = self._url(url)
        key = self._cache_key(
            full_url + "?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        )
        cached = cache.get(key)
        headers = self._headers()
        if cached and cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]

        for _ in range(_MAX_RATE_LIMIT_WAITS + 1):
            response = self.http.get(full_url, params=params, headers=headers)
            if response.status == 304 and cached:
                response = HttpResponse(
                    url=response.url,
                    status=cached["status"],
                    headers={**cached["headers"], **response.headers},
                    body=cached["body"],
                    from_cache=True,
                    fetched_at=response.fetched_at,
                )
            if self.on_response:
                self.on_response(response)
            wait = self._rate_limit_wait(response)
            if wait is None:
                break
            # Every worker waits, not this one alone: a secondary limit said only in the
            # body (no headers for the HTTP layer to read) pauses GitHub too. The next
            # request waits for the pause in its turn (RATE_LIMIT_MAX_WAIT at most, then
            # the job is sent again when GitHub is open).
            ratelimit.pause(PLATFORM, wait, f"HTTP {response.status}: GitHub's rate limit")
            if wait > self.rate_limit_max_wait:
                raise RateLimited(
                    f"GitHub rate limit reached (HTTP {response.status}); it resets in {wait:.0f} s",
                    retry_after=wait,
                )
            logger.warning(
                "GitHub rate limit reached; the next request waits %.0f s",
                wait,
                extra={"url": full_url},
            )
        else:
            raise RateLimited("GitHub rate limit still reached after waiting", retry_after=60.0)

        fetched_now = not (response.from_cache or response.cached)
        if response.status == 200 and fetched_now and response.header("etag"):
            cache.set(
                key,
                {
                    "etag": response.header("etag"),
                    "status": response.status,
                    "headers": {
                        k: v
                        for k, v in response.headers.items()
                        if k in ("content-type", "link", "etag")
                    },
                    "body": response.body,
                },
                ETAG_CACHE_SECONDS,
            )
        return response

    def _raise_for_status(self, response: HttpResponse, what: str) -> None:
        status = response.status
        if status < 400:
            return
        message = self._message(response)
        if status == 404:
            raise NotFoundError(f"{what} not found on GitHub")
        if status >= 500:
            raise TransientError(f"GitHub answered HTTP {status} for {what}: {message}")
        if status == 401:
            raise PermanentError(
                "GitHub refused the configured token (HTTP 401): check GITHUB_TOKEN"
            )
        raise PermanentError(f"GitHub answered HTTP {status} for {what}: {message}")

    @staticmethod
    def _message(response: HttpResponse) -> str:
        try:
            data = response.json()
        except PermanentError:
            return response.text[:200]
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return data["message"][:300]
        return ""

    # -- resources --------------------------------------------------------------------

    def get_object(self, path: str, what: str) -> Answer:
        response = self._send(path)
        self._raise_for_status(response, what)
        data = response.json()
        if not isinstance(data, dict):
            raise PermanentError(
                f"GitHub answered {what} with {type(data).__name__}, not an object"
            )
        return Answer(data, response)

    def paginate(self, path: str, what: str, params: dict[str, Any] | None = None) -> ListAnswer:
        """Every item of a list, following ``rel="next"`` up to ``max_pages`` pages."""
        answer = ListAnswer()
        url: str | None = self._url(path)
        page_params: dict[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        pages = 0
        while url:
            if pages >= self.max_pages:
                answer.complete = False
                logger.warning("Stopped %s after %d pages", what, pages, extra={"url": url})
                break
            response = self._send(url, page_params)
            pages += 1
            answer.responses.append(response)
            if response.status in (204, 409):
                break  # 204: no content; 409: an empty repository has no commits
            self._raise_for_status(response, what)
            data = response.json()
            if not isinstance(data, list):
                raise PermanentError(
                    f"GitHub answered {what} with {type(data).__name__}, not a list"
                )
            if len(data) > PER_PAGE:
                # GitHub never sends more than asked for; a longer page is not GitHub.
                logger.warning("A page of %s held %d items; kept %d", what, len(data), PER_PAGE)
                data, answer.complete = data[:PER_PAGE], False
            answer.items.extend((item, response) for item in data)
            next_url = parse_link_header(response.header("link")).get("next")
            url = self._same_origin(next_url)
            page_params = None  # the next link carries every parameter
        return answer

    def _same_origin(self, url: str | None) -> str | None:
        """Follow a next link only to the API's own host, never to somewhere else."""
        if not url:
            return None
        base, link = urlsplit(self.base_url), urlsplit(url)
        if (link.scheme, link.netloc) != (base.scheme, base.netloc):
            logger.warning("Ignored a pagination link to another host", extra={"url": url})
            return None
        return url

    def contributor_stats(self, full_name: str) -> StatsAnswer:
        """Weekly contributor statistics. GitHub answers 202 while it computes them: ask
        again with growing delays; if it still is computing, say "pending", never "none"."""
        path = f"/repos/{full_name}/stats/contributors"
        responses = []
        for attempt in range(self.stats_attempts):
            response = self._send(path)
            responses.append(response)
            if response.status == 202:
                if attempt + 1 < self.stats_attempts:
                    self.sleep(self.stats_base_delay * (2**attempt))
                continue
            if response.status == 204:
                return StatsAnswer("empty", [], responses)
            self._raise_for_status(response, f"contributor statistics of {full_name}")
            data = response.json()
            if not isinstance(data, list):
                raise PermanentError(
                    "GitHub answered contributor statistics with something not a list"
                )
            return StatsAnswer("ok" if data else "empty", data, responses)
        return StatsAnswer("pending", [], responses)
