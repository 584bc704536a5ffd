"""Message signing: a worker with signing on runs signed tasks and refuses unsigned ones."""

import os
import subprocess
import sys

import pytest
from celery import current_app
from django.core.management import call_command

from investigations.models import Investigation, InvestigationStatus
from tests.factories import InvestigationFactory

from .conftest import ROOT, database_url, wait_for

pytestmark = pytest.mark.worker

TASK = "investigations.tasks.update_investigation_status_task"


def test_a_signing_worker_refuses_an_unsigned_message_and_runs_a_signed_one(start_worker, tmp_path):
    call_command("create_signing_keys", "--dir", str(tmp_path), stdout=open(os.devnull, "w"))
    signing = {
        "CELERY_SIGNING_ENABLED": "1",
        "CELERY_SECURITY_KEY": str(tmp_path / "worker.key"),
        "CELERY_SECURITY_CERTIFICATE": str(tmp_path / "worker.crt"),
        "CELERY_SECURITY_CERT_STORE": str(tmp_path / "*.crt"),
    }
    worker = start_worker(**signing)
    unsigned_target = InvestigationFactory(status=InvestigationStatus.RUNNING)
    signed_target = InvestigationFactory(status=InvestigationStatus.RUNNING)

    # This process has signing off: its message is plain JSON.
    current_app.send_task(TASK, args=(unsigned_target.pk,), queue="investigations")
    # A process with the key signs its message.
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from celery import current_app; current_app.send_task({TASK!r}, args=({signed_target.pk},), queue='investigations')",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), **signing},
        check=True,
        timeout=60,
    )

    # The task sets the end status: with no collection jobs behind it, "failed".
    wait_for(
        lambda: Investigation.objects.get(pk=signed_target.pk).status == InvestigationStatus.FAILED
    )
    unsigned_target.refresh_from_db()
    assert unsigned_target.status == InvestigationStatus.RUNNING
    assert "Refusing to deserialize untrusted content of type json" in worker.log()
