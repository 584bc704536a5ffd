"""The HTTP layer every source shares: one session per client with pooled connections,
the outbound proxy and user agent from settings, and hard limits on answers.

Answers from targets are hostile: a body is read in chunks up to a size limit and a total
time limit, so a huge or slow answer is cut off with a clear error instead of filling
memory or holding a worker.

A client made for a platform (``HttpClient(platform="github")``) also keeps that
platform's limits shared by every worker (``scraping.ratelimit``): each request waits
for its turn, and the answer's own rate-limit signals pause the platform. Where each
host is a platform of its own (``mastodon:mastodon.social``, see ``scraping.platforms``)
the caller names it per request with ``platform=``: behind an address override the
address asked is not the host meant. With
``cache_answers`` it reads and keeps answers in the cache of source answers
(``scraping.answers``), so a target asked about again within the platform's lifetime
costs no request; the job is told, and says so to the analyst.

Hosts named by settings are trusted (a GitHub Enterprise on a private network must keep
working). A host named by a target or an answer is requested with ``untrusted=True``,
and every redirect to another origin is untrusted: those connections go only to
addresses the guard checked, pinned against DNS rebinding (``scraping.pinning``).
"""

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter

from investigations.errors import PermanentError, TransientError
from investigations.tasking import current_job

from . import answers, ratelimit
from .pinning import PinnedAdapter

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
MAX_REDIRECTS = 5
# Request headers that identify us to the first server and must not follow a redirect
# to another one.
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


@dataclass
class HttpResponse:
    url: str
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    method: str = "GET"
    truncated: bool = False
    elapsed: float = 0.0
    fetched_at: datetime = field(default_factory=timezone.now)
    from_cache: bool = False  # a 304: the copy kept from last time was confirmed current
    cached: bool = False  # read from the cache of source answers; no request was made

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        if self.truncated:
            raise PermanentError(
                f"The answer from {self.url} was larger than the limit and was cut off."
            )
        try:
            # Broken bytes inside strings become U+FFFD: the rest of the answer is kept.
            return json.loads(self.body.decode("utf-8", errors="replace") if self.body else "null")
        except ValueError as exc:
            raise PermanentError(
                f"The answer from {self.url} (HTTP {self.status}) is not valid JSON: {exc}"
            ) from exc


def _cut_off(response: requests.Response) -> None:
    """End a connection whose answer is still arriving at the time limit: shutting the
    socket down wakes the read waiting on it, in this thread or a green one."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        response.close()
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing is waiting on it


def proxies() -> dict[str, str] | None:
    proxy = settings.OUTBOUND_PROXY
    return {"http": proxy, "https": proxy} if proxy else None


def _session(adapter: HTTPAdapter, user_agent: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.proxies = proxies() or {}
    session.trust_env = False
    return session


class HttpClient:
    def __init__(
        self,
        *,
        pool_size: int = 10,
        user_agent: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_body_bytes: int | None = None,
        total_timeout: float | None = None,
        platform: str | None = None,
        cache_answers: bool = False,
    ):
        self.platform = platform
        self.cache_answers = cache_answers and platform is not None
        pools = {"pool_connections": pool_size, "pool_maxsize": pool_size, "max_retries": 0}
        user_agent = user_agent or settings.HTTP_USER_AGENT
        self.session = _session(HTTPAdapter(**pools), user_agent)
        # For hosts that come from a target or an answer: connects only to addresses the
        # guard checked (see scraping.pinning).
        self.pinned_session = _session(PinnedAdapter(**pools), user_agent)
        self.connect_timeout = connect_timeout or settings.HTTP_CONNECT_TIMEOUT
        self.read_timeout = read_timeout or settings.HTTP_READ_TIMEOUT
        self.max_body_bytes = max_body_bytes or settings.HTTP_MAX_BODY_BYTES
        self.total_timeout = total_timeout or (self.connect_timeout + 2 * self.read_timeout)

    def close(self) -> None:
        self.session.close()
        self.pinned_session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        allow_redirects: bool = True,
        untrusted: bool = False,
        platform: str | None = None,
    ) -> HttpResponse:
        """One request. ``untrusted`` for a host named by a target or an answer rather
        than by settings: its connections go only to addresses the guard checked.
        ``platform`` names the member of the client's platform family this request asks
        (its limits, pauses and cached answers), where that is one host of many."""
        job = current_job()
        if job is not None:
            job.heartbeat()
        platform = platform or self.platform
        key = None
        if self.cache_answers and method in answers.CACHED_METHODS:
            scope = job.cache_scope if job is not None else ""
            key = answers.cache_key(platform, method, url, params, headers, scope)
            if not (job and job.fresh) and (hit := answers.read(key)) is not None:
                if job is not None:
                    job.used_cached_answer(hit.fetched_at)
                return hit
        if platform is None:
            response = self._send(method, url, params, headers, allow_redirects, untrusted)
        else:
            with ratelimit.slot(platform, lease_seconds=self.total_timeout + 30):
                response = self._send(method, url, params, headers, allow_redirects, untrusted)
            ratelimit.observe(platform, response.status, response.headers)
        if key is not None:
            answers.keep(key, response, platform)
        return response

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        allow_redirects: bool,
        untrusted: bool,
    ) -> HttpResponse:
        """One request, following redirects by hand: an answer may point anywhere, so a
        hop to another origin is untrusted (it must not lead into the internal network
        unless ALLOW_PRIVATE_ADDRESSES) and never carries the original credentials."""
        started = time.monotonic()
        origin = _origin(url)
        hop_headers = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            hop_untrusted = untrusted or _origin(url) != origin
            response = self._open(method, url, params, hop_headers, hop_untrusted)
            location = response.headers.get("location")
            if not (allow_redirects and response.is_redirect and location):
                break
            response.close()
            url = urljoin(response.url, location)
            if _origin(url) != origin:
                hop_headers = {
                    k: v for k, v in hop_headers.items() if k.lower() not in _CREDENTIALS
                }
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method = "GET"
            params = None  # the new address carries its own query
        else:
            raise PermanentError(f"More than {MAX_REDIRECTS} redirects from {url}")

        with response:
            body, truncated = self._read_body(response, url, started)
        return HttpResponse(
            url=response.url,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            method=method,
            truncated=truncated,
            elapsed=time.monotonic() - started,
        )

    def _open(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        untrusted: bool,
    ) -> requests.Response:
        session = self.pinned_session if untrusted else self.session
        try:
            return session.request(
                method,
                url,
                params=params,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise TransientError(f"No answer from {url} within {self.read_timeout:.0f} s") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"Could not connect to {url}: {type(exc).__name__}") from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise PermanentError(f"Not a valid address: {url}") from exc

    def _read_body(
        self, response: requests.Response, url: str, started: float
    ) -> tuple[bytes, bool]:
        # Each read waits at most the read timeout, but a server that sends a byte now
        # and then keeps every read short of it: the watchdog ends the connection at the
        # total time limit, whatever the read in progress is waiting for.
        remaining = max(0.0, self.total_timeout - (time.monotonic() - started))
        watchdog = threading.Timer(remaining, _cut_off, args=(response,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._read_chunks(response, url, started)
        finally:
            watchdog.cancel()

    def _too_slow(self, url: str) -> TransientError:
        return TransientError(
            f"The answer from {url} was still arriving after {self.total_timeout:.0f} s; cut off"
        )

    def _read_chunks(
        self, response: requests.Response, url: str, started: float
    ) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_body_bytes:
                    logger.warning(
                        "Answer cut off at %d bytes", self.max_body_bytes, extra={"url": url}
                    )
                    return b"".join(chunks)[: self.max_body_bytes], True
                if time.monotonic() - started > self.total_timeout:
                    raise self._too_slow(url)
        except requests.exceptions.ContentDecodingError as exc:
            raise PermanentError(f"The answer from {url} has a broken content encoding") from exc
        except requests.RequestException as exc:
            if time.monotonic() - started >= self.total_timeout:
                raise self._too_slow(url) from exc
            raise TransientError(f"The answer from {url} broke off: {type(exc).__name__}") from exc
        if time.monotonic() - started >= self.total_timeout:
            # The watchdog ended the connection; what came before the end is not whole.
            raise self._too_slow(url)
        return b"".join(chunks), False

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", url, **kwargs)
