"""The Celery application, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint_platform.settings")

app = Celery("osint_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _setup_signing(sender: Celery, **kwargs) -> None:
    if sender.conf.get("signing_enabled"):
        # Registers the "auth" serializer with our key and certificate store; the worker
        # then accepts signed task messages only and refuses the rest.
        sender.setup_security(allowed_serializers=["json"])


@worker_init.connect
def _cooperative_database(sender=None, **kwargs) -> None:
    """On a gevent pool, make PostgreSQL calls yield to other greenlets while they wait.

    psycopg2 is a C library: left alone, each query blocks the whole worker, hundreds of
    greenlets included. Its wait callback hands every wait to ``select``, which gevent
    has made cooperative. Django keeps one connection per greenlet (its connection store
    is local to the running thread, which gevent turns into the running greenlet), and
    Celery's Django fixup closes a task's connection when the task ends.
    """
    if not _gevent_patched():
        return
    import psycopg2.extensions
    import psycopg2.extras

    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")
