"""A real Celery worker process on the test broker and the test database."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from investigations import celery_control

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def purge_queues() -> None:
    for queue in settings.OSINT_QUEUES:
        celery_control.purge_queue(queue)


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = log_path
        command = celery_control.worker_command(self.name, settings.OSINT_QUEUES)
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{self.log()}")
            # The worker logs "<name> ready." once it consumes; a ping would not do for a
            # signing worker, which refuses this process's unsigned control messages.
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start a worker with extra environment; it is stopped after the test."""
    workers = []

    def start(**extra_env: str) -> WorkerProcess:
        purge_queues()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "OSINT_TASK_RETRY_BASE_DELAY": "0.2",
            "GITHUB_STATS_BASE_DELAY": "0.05",
            "LOG_LEVEL": "INFO",
            **extra_env,
        }
        worker = WorkerProcess(env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
    purge_queues()


def wait_for(predicate, timeout: float = 90, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
