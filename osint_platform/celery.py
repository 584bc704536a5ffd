"""The Celery application, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery

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
