"""Settings, split by topic; every value that differs between machines comes from the
environment through ``env``."""

from .celery import *  # noqa: F403
from .core import *  # noqa: F403
from .logging import *  # noqa: F403
from .scraping import *  # noqa: F403
from .sources import *  # noqa: F403
from .storage import *  # noqa: F403
