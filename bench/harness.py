"""What both benchmarks share: their own database and Redis numbers, Celery workers
started as separate processes, and their memory read while they run.

Defaults keep off every other developer's data: database ``osint_scale_bench`` and
Redis 10 (broker) and 11 (cache and rate limits); BENCH_DATABASE_URL, BENCH_BROKER_URL
and BENCH_REDIS_URL change them.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV = {
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/osint_scale_bench"
    ),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10"),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    "CACHE_KEY_PREFIX": f"bench-{os.getpid()}",
    "OSINT_ENV": "development",
    "LOG_LEVEL": "WARNING",
    "ALLOW_PRIVATE_ADDRESSES": "1",
}


def prepare(extra_env: dict[str, str]) -> dict[str, str]:
    """Point this process at the benchmark's database, migrate it, and set Django up."""
    env = {**os.environ, **DEFAULT_ENV, **extra_env}
    os.environ.update(env)
    name = env["DATABASE_URL"].rsplit("/", 1)[-1]
    listing = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-lqtA"],
        capture_output=True,
        text=True,
        check=False,
    )
    names = {line.split("|", 1)[0] for line in listing.stdout.splitlines()}
    if name not in names:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint_platform.settings")
    django.setup()
    return env


def purge(queues: list[str]) -> None:
    from investigations import celery_control

    for queue in queues:
        celery_control.purge_queue(queue)


class Worker:
    """One Celery worker process (its pool's children counted in its memory)."""

    def __init__(self, name: str, queues: str, pool: str, concurrency: int, env: dict[str, str]):
        self.name = name
        command = [
            sys.executable, "-m", "celery", "-A", "osint_platform", "worker",
            "-Q", queues, "-P", pool, "-c", str(concurrency), "-n", f"{name}-{os.getpid()}@%h",
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-I", "bench.tasks",
        ]  # fmt: skip
        self.log = open(ROOT / "var" / f"bench-{name}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.peak_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def rss(self) -> int:
        try:
            parent = psutil.Process(self.process.pid)
            return parent.memory_info().rss + sum(
                c.memory_info().rss for c in parent.children(recursive=True)
            )
        except psutil.Error:
            return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, self.rss())

    def reset_peak(self) -> None:
        self.peak_rss = self.rss()

    def stop(self) -> None:
        self._stop.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_for_workers(count: int, timeout: float = 90.0) -> None:
    from investigations import celery_control

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(celery_control.ping_workers(timeout=1.0)) >= count:
            return
    raise SystemExit(f"bench: {count} workers did not answer within {timeout:.0f} s")


def table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])
