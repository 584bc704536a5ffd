"""Pipeline throughput: targets through the whole pipeline against the replay world, on two
worker processes, beside a bare Celery chord of as many no-op tasks on the same broker.

    python bench/pipeline_throughput.py [--quick]

The workers are the production split: collection on a gevent pool (one process, 50
greenlets), the rest on prefork (one process, one child). A bulk list of synthetic GitHub
users (replay/github/synthetic.py) goes through bulk intake, batched collection (profile,
repositories, organizations, events: four requests each), analysis, report and final
status. The floor is a chord of no-op tasks on the same two workers and broker. The
figure is the ratio of the two times; memory is each worker's peak (with its children)
during a run, at the base size and at five times it, to show it stays flat.

Platform limits are raised for the run (an admin's row), and so is Celery's per-task
rate limit on collection (and on the no-op task alike): left in place they would be the
bound of both runs, and the figure would measure them instead of the pipeline.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Worker, prepare, purge, table, wait_for_workers  # noqa: E402

GEVENT_CONCURRENCY = 50
QUEUES = ["investigations", "scraping", "analysis", "reports", "maintenance"]


def run_chord(size: int, timeout: float) -> float:
    from celery import chord

    from bench.tasks import chord_done_task, noop_task

    started = time.monotonic()
    result = chord(noop_task.si(n).set(queue="scraping") for n in range(size))(
        chord_done_task.s().set(queue="investigations")
    )
    assert result.get(timeout=timeout) == size
    return time.monotonic() - started


def run_pipeline(first: int, size: int, timeout: float) -> tuple[float, str]:
    from investigations.models import TERMINAL_STATUSES, Investigation
    from investigations.services import bulk as bulk_service
    from replay.github.synthetic import synthetic_login

    targets = [f"github:{synthetic_login(n)}" for n in range(first, first + size)]
    started = time.monotonic()
    investigation, _ = bulk_service.create_bulk_investigation(name=f"bench {size}", targets=targets)
    deadline = started + timeout
    while time.monotonic() < deadline:
        status = Investigation.objects.values_list("status", flat=True).get(pk=investigation.pk)
        if status in TERMINAL_STATUSES:
            elapsed = time.monotonic() - started
            succeeded = investigation.targets.filter(status="succeeded").count()
            if succeeded != size:
                raise SystemExit(f"bench: only {succeeded} of {size} targets succeeded ({status})")
            return elapsed, status
        time.sleep(0.2)
    raise SystemExit(f"bench: the pipeline of {size} targets did not finish in {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 targets")
    args = parser.parse_args()
    size = 200 if args.quick else 1000
    large = size * 5

    from replay.github.server import GitHubReplay

    replay = GitHubReplay(token_limit=10**9).start()
    env = prepare(
        {
            "GITHUB_API_URL": replay.url,
            "GITHUB_TOKEN": "bench-token",
            "OSINT_COLLECTION_TASK_RATE_LIMIT": "1000000/m",
            "CELERY_WORKER_SEND_TASK_EVENTS": "0",
        }
    )
    from scraping.models import PlatformLimit

    PlatformLimit.objects.update_or_create(
        platform="github",
        defaults={"requests_per_second": 100_000, "burst": 1000, "max_concurrent": 0},
    )
    purge(QUEUES)
    io = Worker("io", "scraping", "gevent", GEVENT_CONCURRENCY, env)
    cpu = Worker("cpu", "investigations,analysis,reports,maintenance", "prefork", 1, env)
    try:
        wait_for_workers(2)
        run_chord(20, 120)  # warm both workers up
        chord_seconds = run_chord(size, 600)
        io.reset_peak(), cpu.reset_peak()
        pipeline_seconds, _ = run_pipeline(0, size, 3600)
        peaks = (io.peak_rss, cpu.peak_rss)
        io.reset_peak(), cpu.reset_peak()
        large_seconds, _ = run_pipeline(100_000, large, 7200)
        large_peaks = (io.peak_rss, cpu.peak_rss)
    finally:
        io.stop()
        cpu.stop()
        replay.stop()

    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    ratio = pipeline_seconds / chord_seconds
    rows = [
        ("bare chord (no-op)", size, round(chord_seconds, 2), round(size / chord_seconds, 1), "", ""),
        ("pipeline", size, round(pipeline_seconds, 2), round(size / pipeline_seconds, 1), mb(peaks[0]), mb(peaks[1])),
        ("pipeline", large, round(large_seconds, 2), round(large / large_seconds, 1), mb(large_peaks[0]), mb(large_peaks[1])),
    ]  # fmt: skip
    print(table(rows, ("run", "targets", "seconds", "per second", "io MB", "cpu MB")))
    growth = max(large_peaks[0] / peaks[0], large_peaks[1] / peaks[1])
    print(
        f"RESULT targets={size} pipeline_targets_per_s={size / pipeline_seconds:.1f} "
        f"chord_tasks_per_s={size / chord_seconds:.1f} ratio={ratio:.2f} "
        f"peak_mb_io={mb(peaks[0])} peak_mb_cpu={mb(peaks[1])} "
        f"large_targets={large} peak_mb_io_large={mb(large_peaks[0])} "
        f"peak_mb_cpu_large={mb(large_peaks[1])} memory_growth={growth:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
