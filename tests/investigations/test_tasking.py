"""The task runner's habits, with a stand-in for the Celery task so that each attempt can
be played one by one: retries with backoff, giving up, time limits, parts of a job."""

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded

from investigations.errors import PermanentError, RateLimited, TransientError
from investigations.models import JobState, TargetStatus
from investigations.tasking import retry_delay, run_job


class FakeTask:
    name = "tests.fake_task"
    max_retries = 3
    soft_time_limit = 30

    def __init__(self, retries: int = 0):
        self.request = type("Request", (), {"id": "task-1", "retries": retries})()
        self.countdowns: list[float] = []
        self.limits: list[int | None] = []  # the max_retries each retry was allowed

    def retry(self, exc, countdown, max_retries=None):
        self.countdowns.append(countdown)
        self.limits.append(max_retries)
        return Retry(exc=exc, when=countdown)


def run(task, target, work):
    return run_job(
        task,
        investigation_id=target.investigation_id,
        phase="scraping",
        name="github",
        target_id=target.pk,
        work=work,
    )


def raise_(exc):
    def work(ctx):
        raise exc

    return work


@pytest.fixture
def target(make_target):
    return make_target("github", "nvie")


@pytest.mark.django_db
def test_a_transient_fault_is_retried_with_backoff_then_succeeds(settings, target):
    settings.OSINT_TASK_RETRY_BASE_DELAY = 60
    first = FakeTask(retries=0)

    with pytest.raises(Retry):
        run(first, target, raise_(TransientError("GitHub answered HTTP 502")))
    job = target.jobs.get()
    assert job.state == JobState.RETRYING
    assert 30 <= first.countdowns[0] <= 60

    result = run(FakeTask(retries=1), target, lambda ctx: {"repositories": 2})

    job.refresh_from_db()
    assert (job.state, job.attempts, job.result) == (JobState.SUCCEEDED, 2, {"repositories": 2})
    assert result["state"] == "succeeded"


@pytest.mark.django_db
def test_after_the_last_retry_the_job_fails_with_the_reason(target):
    result = run(FakeTask(retries=3), target, raise_(TransientError("connection refused")))

    job = target.jobs.get()
    assert job.state == JobState.FAILED
    assert job.error == "Gave up after 4 attempts: connection refused"
    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED
    assert result["state"] == "failed"


def test_the_upstreams_retry_after_wins_over_backoff_and_everything_is_capped(settings):
    settings.OSINT_TASK_RETRY_BASE_DELAY = 60
    settings.OSINT_TASK_RETRY_MAX_DELAY = 900

    assert 42 <= retry_delay(0, retry_after=42) <= 43
    assert 120 <= retry_delay(2) <= 240
    assert retry_delay(10) <= 900
    # A rate-limit reset an hour away is waited for, within the bound.
    assert 3600 <= retry_delay(0, retry_after=3600) <= 3601
    assert retry_delay(0, retry_after=50_000) == 3900


@pytest.mark.django_db
def test_a_permanent_fault_fails_at_once_without_retry(target):
    task = FakeTask(retries=0)

    run(task, target, raise_(PermanentError("GitHub answered HTTP 451")))

    assert task.countdowns == []
    assert target.jobs.get().error == "GitHub answered HTTP 451"


@pytest.mark.django_db
def test_the_soft_time_limit_fails_the_job_with_a_clear_message(target):
    run(FakeTask(), target, raise_(SoftTimeLimitExceeded()))

    assert target.jobs.get().error == "Stopped at the time limit of 30 s"


@pytest.mark.django_db
def test_a_failing_part_leaves_the_other_parts_and_makes_the_target_partial(target):
    def work(ctx):
        with ctx.step("dns"):
            raise TransientError("resolver timed out")
        with ctx.step("web"):
            ctx.note("served over HTTP only")
        return {"parts": 2}

    run(FakeTask(), target, work)

    job = target.jobs.get()
    assert job.state == JobState.SUCCEEDED
    assert job.result["steps"]["dns"]["state"] == "failed"
    assert job.result["steps"]["web"]["state"] == "succeeded"
    target.refresh_from_db()
    assert target.status == TargetStatus.PARTIAL
    assert target.error == "github: dns failed: resolver timed out"
    assert target.summary["notes"] == ["github: served over HTTP only"]


def test_an_upstream_message_cannot_drive_a_terminal_or_forge_a_line():
    from investigations.text import error_message, printable

    hostile = "Bad\x1b]0;PWNED\x07\x1b[2J\nInvestigation #1: completed"

    shown = printable(hostile)

    assert "\x1b" not in shown and "\x07" not in shown and "\n" not in shown
    assert shown == "Bad\\x1b]0;PWNED\\x07\\x1b[2J\\nInvestigation #1: completed"
    sql_error = Exception('value "-Infinity" is invalid\nLINE 1: INSERT INTO entity ...')
    assert error_message(sql_error) == 'Exception: value "-Infinity" is invalid'


@pytest.mark.django_db
def test_waiting_for_a_platforms_turn_uses_up_no_retry(settings, target):
    """A bulk run behind a busy platform: sends that only waited for the platform's turn
    are sent again, and the job keeps every retry for real faults."""
    held_back = RateLimited("github had no free turn within 60 s", retry_after=2)
    for sent_before in range(5):
        task = FakeTask(retries=sent_before)
        with pytest.raises(Retry):
            run(task, target, raise_(held_back))
        assert task.limits == [sent_before + 1]  # always allowed one more send
        assert 2 <= task.countdowns[0] <= 3
    job = target.jobs.get()
    assert job.state == JobState.RETRYING
    assert job.error == "Waiting for its turn: github had no free turn within 60 s"
    assert job.result["deferrals"] == 5

    faulty = FakeTask(retries=5)
    with pytest.raises(Retry):
        run(faulty, target, raise_(TransientError("GitHub answered HTTP 502")))
    assert faulty.limits == [3 + 5]  # the three retries, past the five waits
    assert 30 <= faulty.countdowns[0] <= 60  # the backoff of a first fault

    run(FakeTask(retries=6), target, lambda ctx: {"repositories": 2})
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"repositories": 2, "deferrals": 5}


@pytest.mark.django_db
def test_a_job_held_back_past_the_bound_fails_with_the_reason(settings, target):
    settings.OSINT_RATE_LIMIT_MAX_DEFERRALS = 2
    held_back = RateLimited("github is paused for 3000 s more: quota used up")
    for sent_before in range(2):
        with pytest.raises(Retry):
            run(FakeTask(retries=sent_before), target, raise_(held_back))

    run(FakeTask(retries=2), target, raise_(held_back))

    job = target.jobs.get()
    assert job.state == JobState.FAILED
    assert job.error == (
        "Gave up after waiting 2 times for its turn: github is paused for 3000 s more: quota used up"
    )


@pytest.mark.django_db
def test_a_part_held_back_by_a_platform_sends_the_job_again_keeping_the_parts_done(target):
    """A 429 on the second page of posts is a wait, not a failed part: the job goes again
    (without using a retry) rather than ending partial."""

    def work(ctx):
        with ctx.step("profile"):
            pass
        with ctx.step("posts"):
            raise RateLimited("bluesky rate limit reached for the author feed", retry_after=20)

    task = FakeTask()
    with pytest.raises(Retry):
        run(task, target, work)

    job = target.jobs.get()
    assert job.state == JobState.RETRYING
    assert job.result["steps"]["profile"]["state"] == "succeeded"
    assert "posts" not in job.result["steps"]
    assert task.limits == [1] and 20 <= task.countdowns[0] <= 21
