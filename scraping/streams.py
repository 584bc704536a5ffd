"""Reading an answer off a socket within a size and a total time limit.

Each wait on the socket is bounded by what is left of the total, so a server that sends
a byte now and then (a slow answer, or one meant to hold the worker) is cut off at the
limit with a clear error instead of after every read's own timeout.
"""

import socket
import time
from collections.abc import Callable

from investigations.errors import TransientError


def read_bounded(
    receive: Callable[[], bytes],
    sock: socket.socket,
    *,
    started: float,
    timeout: float,
    total_timeout: float,
    max_bytes: int,
    what: str,
    transform: Callable[[bytes, int], bytes] | None = None,
) -> tuple[bytes, bool]:
    """Everything ``receive`` gives until it gives b"", and whether it was cut at
    ``max_bytes``. ``transform(chunk, room)`` may decode each chunk (decompression),
    producing at most ``room`` bytes more than fit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = total_timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise TransientError(
                f"The answer from {what} was still arriving after {total_timeout:g} s; cut off"
            )
        sock.settimeout(min(timeout, remaining))
        try:
            chunk = receive()
        except TimeoutError:
            if time.monotonic() - started >= total_timeout:
                continue  # reported above as cut off
            raise
        if not chunk:
            return b"".join(chunks), False
        if transform is not None:
            chunk = transform(chunk, max_bytes - size + 1)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
