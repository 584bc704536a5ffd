"""Errors that sources raise, sorted by what the task runner should do with them."""


class CollectionError(Exception):
    """Base of the errors a collector reports; the message is shown to the analyst."""


class TransientError(CollectionError):
    """May succeed later: a timeout, a refused connection, a 5xx, a rate limit.

    ``retry_after`` (seconds) is the upstream's own hint, when it gave one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """Not sent yet: the platform's shared limit has no turn for it in time, or the
    platform asked everyone to wait. Not a fault of the source: the job is sent again
    when the platform is open, without using one of its retries."""


class PermanentError(CollectionError):
    """Will fail the same way next time: bad input, a refused credential, an odd answer."""


class NotFoundError(PermanentError):
    """The target does not exist at the source."""


class JobCancelled(Exception):
    """Raised inside a job when its investigation was cancelled; the job stops there."""
