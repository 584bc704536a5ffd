"""Per-platform limits shared by every worker process, through Redis."""

import multiprocessing
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from investigations.errors import TransientError
from replay.http import ReplayServer, Reply
from scraping import ratelimit
from scraping.http import HttpClient
from scraping.models import PlatformLimit
from scraping.ratelimit.signals import upstream_pause

pytestmark = pytest.mark.usefixtures("fresh_limits")


class CountingServer(ReplayServer):
    """Answers 200, or the replies queued by a test, and logs when each request came."""

    def __init__(self):
        super().__init__()
        self.replies: list[Reply] = []

    def handle(self, request) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.pop(0)
        return Reply(200, {"ok": True})


def _take_turns(platform: str, count: int, queue) -> None:
    stamps = []
    for _ in range(count):
        with ratelimit.slot(platform):
            stamps.append(time.time())
    queue.put(stamps)


def _fork_workers(target, args_list) -> list:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=target, args=(*args, queue)) for args in args_list]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    return results


@pytest.mark.django_db
def test_the_token_bucket_is_shared_by_worker_processes(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "shared": (20.0, 1, 0)}
    ratelimit.limit_for("shared")  # read before forking: the children use the cached limit

    started = time.time()
    results = _fork_workers(_take_turns, [("shared", 10)] * 3)

    stamps = sorted(s for stamps in results for s in stamps)
    assert [len(r) for r in results] == [10, 10, 10]
    # 30 turns at 20 a second (less the 5% headroom: 19) take 29 intervals together;
    # three separate buckets would have let them through in 0.5 s.
    assert stamps[-1] - started >= 29 / 19 * 0.97
    busiest = max(sum(1 for s in stamps if start <= s < start + 1.0) for start in stamps)
    assert busiest <= 20


@pytest.mark.django_db
def test_a_burst_goes_at_once_and_then_the_rate_holds(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "bursty": (10.0, 5, 0)}

    started = time.monotonic()
    stamps = []
    for _ in range(7):
        with ratelimit.slot("bursty"):
            stamps.append(time.monotonic() - started)

    assert stamps[4] < 0.05  # the burst of five
    interval = 1 / (10 * 0.95)
    assert stamps[6] == pytest.approx(2 * interval, abs=0.05)


@pytest.mark.django_db
def test_concurrent_requests_never_exceed_the_platform_bound(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "narrow": (0.0, 1, 2)}
    ratelimit.limit_for("narrow")  # read here: threads would each open a connection
    in_flight, peak, lock = [0], [0], threading.Lock()

    def request():
        with ratelimit.slot("narrow"):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.1)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(6)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert peak[0] == 2
    assert time.monotonic() - started >= 0.29  # three rounds of two


def _request_once(url: str, platform: str, queue) -> None:
    try:
        response = HttpClient(platform=platform).get(url)
        queue.put(("ok", response.status, time.time()))
    except TransientError as exc:
        queue.put(("transient", str(exc), time.time()))


@pytest.mark.django_db
def test_a_retry_after_pause_is_honoured_by_every_worker(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pausing": (100.0, 10, 0)}
    ratelimit.limit_for("pausing")
    with CountingServer() as server:
        server.replies.append(Reply(429, {"message": "slow down"}, {"Retry-After": "2"}))
        first = HttpClient(platform="pausing").get(server.url + "/first")

        results = _fork_workers(
            _request_once, [(server.url + "/a", "pausing"), (server.url + "/b", "pausing")]
        )

        refused_at = server.requests[0].received_at
        later = [r.received_at - refused_at for r in server.requests[1:]]
    assert first.status == 429
    assert [r[:2] for r in results] == [("ok", 200), ("ok", 200)]
    assert len(later) == 2
    assert min(later) >= 1.9  # both other workers waited out the two seconds


@pytest.mark.django_db
def test_a_pause_longer_than_the_wait_bound_hands_the_job_back_with_the_time(settings):
    settings.RATE_LIMIT_MAX_WAIT = 1.0
    ratelimit.pause("github", 30, "HTTP 403: request quota used up until its reset")

    with pytest.raises(TransientError, match="github is paused for 30 s more") as caught:
        with ratelimit.slot("github"):
            pass

    assert 29 <= caught.value.retry_after <= 30
    state = ratelimit.state("github")
    assert state.pause_reason == "HTTP 403: request quota used up until its reset"


@pytest.mark.django_db
def test_a_github_quota_at_zero_pauses_github_until_its_reset(github_replay):
    github_replay.exhaust_rate_limit(reset_in=120, times=1)

    with pytest.raises(TransientError):
        from scraping.clients.github import GitHubClient

        GitHubClient(base_url=github_replay.url, rate_limit_max_wait=5).get_object(
            "/users/nvie", "user"
        )

    paused_until = ratelimit.state("github").paused_until
    assert paused_until is not None
    assert 118 <= paused_until - time.time() <= 123


@pytest.mark.django_db
def test_an_admin_change_reaches_running_workers_without_a_restart(settings):
    settings.RATE_LIMIT_CACHE_SECONDS = 0.2
    assert ratelimit.limit_for("github").requests_per_second == 5.0

    PlatformLimit.objects.create(
        platform="github", requests_per_second=40, burst=2, max_concurrent=16
    )
    time.sleep(0.25)

    limit = ratelimit.limit_for("github")
    assert (limit.requests_per_second, limit.burst, limit.max_concurrent) == (40, 2, 16)


def test_upstream_signals_are_read_in_each_platforms_own_form():
    now = 1_700_000_000.0
    http_date = format_datetime(datetime.fromtimestamp(now + 90, tz=UTC), usegmt=True)
    iso_reset = (datetime.fromtimestamp(now, tz=UTC) + timedelta(seconds=300)).isoformat()

    assert upstream_pause(429, {"retry-after": "7"}, now, default=30) == (
        7.0,
        "HTTP 429 with Retry-After",
    )
    assert upstream_pause(503, {"retry-after": http_date}, now, default=30)[0] == 90.0
    github = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now + 600))}
    assert upstream_pause(200, github, now, default=30)[0] == 601.0
    mastodon = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": iso_reset}
    assert upstream_pause(429, mastodon, now, default=30)[0] == 301.0
    assert upstream_pause(429, {}, now, default=30) == (30, "HTTP 429 without Retry-After")
    assert upstream_pause(503, {}, now, default=30) is None
    assert upstream_pause(200, {"x-ratelimit-remaining": "12"}, now, default=30) is None


@pytest.mark.django_db
def test_a_pause_an_answer_asks_for_is_kept_to_the_bound(settings):
    """A reset in the year 5138 (a hostile or broken answer) does not shut the platform
    for every worker and analyst for ever."""
    settings.RATE_LIMIT_MAX_PAUSE = 600.0

    seconds = ratelimit.observe(
        "github", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999"}
    )

    state = ratelimit.state("github")
    assert seconds > 10**9  # what the answer asked for
    assert 595 <= state.paused_until - time.time() <= 601
    assert "kept to 600 s" in state.pause_reason


@pytest.mark.parametrize("retry_after", ["-1", "0", "nan", "-inf", "soon"])
def test_a_429_whose_time_is_zero_past_or_unreadable_pauses_for_the_default(retry_after):
    now = 1_700_000_000.0

    assert upstream_pause(429, {"retry-after": retry_after}, now, default=30) == (
        30,
        "HTTP 429 with a Retry-After that names no time to wait",
    )


def test_a_429_whose_time_has_passed_pauses_for_the_default():
    now = 1_700_000_000.0
    past = format_datetime(datetime.fromtimestamp(now - 60, tz=UTC), usegmt=True)
    spent_quota = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now - 5))}

    assert upstream_pause(429, {"retry-after": past}, now, default=30)[0] == 30
    assert upstream_pause(429, spent_quota, now, default=30)[0] == 30
    assert upstream_pause(503, {"retry-after": "0"}, now, default=30)[0] == 0  # no pause


@pytest.mark.django_db
def test_a_429_asking_for_no_end_pauses_for_the_longest_allowed(settings):
    settings.RATE_LIMIT_MAX_PAUSE = 600.0

    seconds = ratelimit.observe("bluesky", 429, {"retry-after": "inf"})

    state = ratelimit.state("bluesky")
    assert seconds == float("inf")
    assert 595 <= state.paused_until - time.time() <= 601
    assert state.pause_reason == ("HTTP 429 with Retry-After (asked over 100 days, kept to 600 s)")
