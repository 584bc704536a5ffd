"""Rate-limit accuracy: four worker processes share one platform limited to 20 requests a
second for 30 s; a loopback server counts what it receives in each second.

    python bench/rate_limit_accuracy.py [--quick]

Each worker is a gevent pool of 8 running the benchmark's hammer task, which asks the
server through the product's HTTP layer (``HttpClient(platform=...)``) as fast as the
shared limit lets it. The limit is set the way an admin sets it: a Platform limit row.
Targets: no second over the limit, and at least 90% of the allowed requests used. The
reference is the limit itself: requests allowed over the window.
"""

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Worker, prepare, purge, table, wait_for_workers  # noqa: E402

PLATFORM = "bench-rate"
LIMIT = 20
WORKERS = 4
GREENLETS = 8


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 s instead of 30 s")
    args = parser.parse_args()
    seconds = 10 if args.quick else 30

    from replay.http import ReplayServer, Reply

    class CountingServer(ReplayServer):
        def handle(self, request) -> Reply:
            return Reply(200, {"ok": True})

    server = CountingServer().start()
    env = prepare({"OSINT_COLLECTION_TASK_RATE_LIMIT": "1000000/m"})
    from bench.tasks import hammer_task
    from scraping.models import PlatformLimit

    PlatformLimit.objects.update_or_create(
        platform=PLATFORM,
        defaults={"requests_per_second": LIMIT, "burst": 1, "max_concurrent": 0},
    )
    purge(["scraping"])
    workers = [Worker(f"rate{n}", "scraping", "gevent", GREENLETS, env) for n in range(WORKERS)]
    try:
        wait_for_workers(WORKERS)
        start = time.time() + 3  # every hammer begins together, once all are received
        until = start + seconds
        results = [
            hammer_task.apply_async(args=(f"{server.url}/count", PLATFORM, start, until), queue="scraping")
            for _ in range(WORKERS * GREENLETS)
        ]  # fmt: skip
        sent = sum(r.get(timeout=seconds + 120) for r in results)
    finally:
        for worker in workers:
            worker.stop()
        server.stop()

    stamps = [r.received_at for r in server.requests]
    first = min(stamps)
    per_second = collections.Counter(int(s - first) for s in stamps)
    span = max(stamps) - first
    full = [per_second.get(n, 0) for n in range(int(span) + 1)]
    busiest = max(per_second.values())
    # Share of what the limit allowed over the span the requests actually took (turns
    # reserved just before the end are still sent, so the span runs a little past it).
    used = (len(stamps) - 1) / (LIMIT * span)
    rows = [(n, count) for n, count in enumerate(full)]
    print(table(rows, ("second", "requests")))
    print(
        f"total {len(stamps)} received, {sent} sent, over {span:.2f} s; limit {LIMIT}/s "
        f"for {seconds} s"
    )
    # The window counts from the first arrival, as the platform's own fixed seconds would.
    server_seconds = collections.Counter(int(s) for s in stamps)
    busiest_wall = max(server_seconds.values())
    print(
        f"RESULT limit={LIMIT} seconds={seconds} workers={WORKERS} received={len(stamps)} "
        f"busiest_second={max(busiest, busiest_wall)} over_limit_seconds="
        f"{sum(1 for c in [*per_second.values(), *server_seconds.values()] if c > LIMIT)} "
        f"used={used:.3f}"
    )
    return 0 if max(busiest, busiest_wall) <= LIMIT and used >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
