"""Time limits of the same length for many tasks, kept by one timer.

A run sets a limit on each of its hundreds of checks. ``asyncio.timeout`` gives each its
own timer in the loop's heap and its own context object, which showed in a run's profile;
limits that all last ``seconds`` expire in the order they were set, so a queue in that
order and one timer for the oldest do the same work. Used like ``asyncio.timeout``:

    async with limits.limit():
        ...  # TimeoutError out of here once ``seconds`` have passed

A cancellation that did not come from the limit (the run stopped) goes on as one.
"""

import asyncio
from collections import deque


class _Limit:
    __slots__ = ("task", "deadline", "ended", "expired")

    def __init__(self, task: asyncio.Task, deadline: float):
        self.task = task
        self.deadline = deadline
        self.ended = False
        self.expired = False

    async def __aenter__(self) -> "_Limit":
        return self

    async def __aexit__(self, kind, error, traceback) -> bool:
        self.ended = True
        if self.expired and kind is asyncio.CancelledError and self.task.uncancel() == 0:
            raise TimeoutError from error
        return False


class TimeLimits:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._queue: deque[_Limit] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def limit(self) -> _Limit:
        """A limit on the current task, from now."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("TimeLimits.limit is used inside a task")
        limit = _Limit(task, self._loop.time() + self.seconds)
        self._queue.append(limit)
        if self._timer is None:
            self._timer = self._loop.call_at(limit.deadline, self._expire)
        return limit

    def _expire(self) -> None:
        self._timer = None
        now = self._loop.time()
        queue = self._queue
        while queue and (queue[0].ended or queue[0].deadline <= now):
            limit = queue.popleft()
            if not limit.ended:
                limit.expired = True
                limit.task.cancel()
        if queue:
            self._timer = self._loop.call_at(queue[0].deadline, self._expire)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()
