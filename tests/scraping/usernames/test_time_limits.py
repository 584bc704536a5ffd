"""One timer for many equal time limits: each limit expires on its own, as asyncio.timeout
would, and never touches a task whose limit is over."""

import asyncio
import time

import pytest

from scraping.usernames.time_limits import TimeLimits

from .conftest import run_apart

SECONDS = 0.05


async def outlast() -> None:
    """Longer than any limit here: a limit that failed to end it shows as a slow test,
    not a hung one."""
    await asyncio.sleep(1.0)


def test_a_limit_that_runs_out_raises_timeout_error_in_its_task_once_its_time_is_up():
    async def scenario():
        limits = TimeLimits(SECONDS)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with limits.limit():
                await outlast()
        return time.monotonic() - started, asyncio.current_task().cancelling()

    elapsed, cancelling = run_apart(scenario())

    assert SECONDS <= elapsed < SECONDS + 0.2
    assert cancelling == 0  # the limit's own cancellation is taken back


def test_a_task_whose_limit_ran_out_goes_on_awaiting_normally_after_it():
    async def scenario():
        limits = TimeLimits(SECONDS)
        try:
            async with limits.limit():
                await outlast()
        except TimeoutError:
            pass
        await asyncio.sleep(SECONDS * 2)  # no cancellation left over to land here
        async with limits.limit():
            await asyncio.sleep(0)
        return "went on"

    assert run_apart(scenario()) == "went on"


def test_a_cancellation_from_outside_the_limit_stays_a_cancellation():
    async def scenario():
        limits = TimeLimits(10.0)

        async def check():
            async with limits.limit():
                await outlast()

        task = asyncio.create_task(check())
        await asyncio.sleep(0.01)
        task.cancel()
        outcome = (await asyncio.gather(task, return_exceptions=True))[0]
        limits.close()
        return outcome

    assert isinstance(run_apart(scenario()), asyncio.CancelledError)


def test_a_cancellation_from_outside_as_the_limit_runs_out_stays_a_cancellation():
    """Both come before the task runs again: the run was stopped, and that must not pass
    for this one check's timeout."""

    async def scenario():
        loop = asyncio.get_running_loop()
        limits = TimeLimits(SECONDS)

        async def check():
            async with limits.limit():
                await outlast()

        task = asyncio.create_task(check())
        await asyncio.sleep(0)  # the task is inside its limit
        loop.call_at(loop.time() + SECONDS + 0.001, task.cancel)  # just after the limit's end
        time.sleep(SECONDS * 2)  # the loop held until both are due at once
        outcome = (await asyncio.gather(task, return_exceptions=True))[0]
        return outcome

    assert isinstance(run_apart(scenario()), asyncio.CancelledError)


def test_limits_that_ended_early_never_cancel_their_tasks_afterwards():
    async def scenario():
        limits = TimeLimits(SECONDS)

        async def check(n):
            async with limits.limit():
                await asyncio.sleep(0.001 * n)
            # Well past the limit's end, outside it: nothing may cancel this.
            await asyncio.sleep(SECONDS * 3)
            return n

        return await asyncio.gather(*(check(n) for n in range(20)), return_exceptions=True)

    assert run_apart(scenario()) == list(range(20))


def test_each_limit_runs_out_its_own_length_after_it_was_set_among_others_that_ended():
    async def scenario():
        loop = asyncio.get_running_loop()
        limits = TimeLimits(0.1)

        async def check(delay, *, ends_early):
            await asyncio.sleep(delay)
            started = loop.time()
            try:
                async with limits.limit():
                    await (asyncio.sleep(0) if ends_early else outlast())
            except TimeoutError:
                return round(loop.time() - started, 2)
            await asyncio.sleep(0.15)  # past its own deadline, outside the limit
            return "ended early"

        return await asyncio.gather(
            check(0.0, ends_early=True),
            check(0.01, ends_early=False),
            check(0.02, ends_early=True),
            check(0.04, ends_early=False),
            check(0.07, ends_early=False),
        )

    outcomes = run_apart(scenario())

    assert outcomes[0] == outcomes[2] == "ended early"
    for elapsed in (outcomes[1], outcomes[3], outcomes[4]):
        assert 0.1 <= elapsed < 0.3


def test_closed_limits_cancel_nothing_more():
    async def scenario():
        limits = TimeLimits(SECONDS)
        async with limits.limit():
            limits.close()
            await asyncio.sleep(SECONDS * 2)
        return "not cancelled"

    assert run_apart(scenario()) == "not cancelled"
