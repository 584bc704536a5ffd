"""A value passed once from the thread that makes it to an event loop that waits for it.

A username run takes its sites' turns on the job's thread (the rate-limit store must not
be touched from the loop's thread: on a gevent worker its sockets belong to the hub) while
its loop, already started on a thread of its own, opens the first connections. No lock is
used, so that either side may be a gevent greenlet: each side writes its part and then
reads the other's, and the interpreter's lock orders the two, so at least one of them
sees the other's write.
"""

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    def __init__(self) -> None:
        self._given = False
        self._value: T | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None

    def give(self, value: T | None = None, *, error: BaseException | None = None) -> None:
        """From any thread: the value, or the error the waiting side raises instead."""
        self._value, self._error = value, error
        self._given = True
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # the loop has ended: nobody waits any more
                pass

    def _wake(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    async def taken(self) -> T | None:
        """On the loop: wait for the value (at once, if it was given already)."""
        self._arrived = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if not self._given:
            await self._arrived.wait()
        if self._error is not None:
            raise self._error
        return self._value
