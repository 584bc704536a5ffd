"""Subdomain brute force against the loopback DNS server of the replay world.

    .venv/bin/python bench/dns_bruteforce.py [--quick]

Runs, in one go and against one server process (the replay DNS server, started here on
a free loopback port):
- the product's brute forcer (scraping.clients.dns.bulk.BulkResolver) over the first
  10,000 words of the shipped top-20000 list, as <word>.github.com;
- the reference: a plain sequential dnspython loop (Resolver.resolve) over the first 500;
- a bare load loop: the same questions, pre-built, sent with the same window in flight and
  answers only counted, never read: the rate at which the server itself can answer;
- peak memory of the brute force (tracemalloc, in a separate run so that tracing does
  not slow the timed one) for the full list and for a fifth of it: flat memory means the
  peak does not grow with the list.

Each timed figure is the best of three runs (one with --quick). Target: at least 2,000
names a second, or, where the server answers slower than that, at least 80% of the bare
loop's rate.
"""

import argparse
import multiprocessing
import os
import selectors
import socket
import struct
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dns.exception  # noqa: E402
import dns.nameserver  # noqa: E402
import dns.resolver  # noqa: E402

from scraping.clients.dns.bulk import BulkResolver, encode_name  # noqa: E402
from scraping.clients.dns.resolver import Outcome  # noqa: E402
from scraping.domains.wordlist import read_wordlist  # noqa: E402

DOMAIN = "github.com"
WINDOW = 256
TARGET_RATE = 2000
TARGET_SHARE = 0.8


def serve(ready, stop) -> None:
    from replay.dns.server import DnsReplay

    with DnsReplay() as server:
        ready.put(server.port)
        stop.wait(600)  # bounded: the server stops by itself after ten minutes


def brute_force(port: int, names: list[str]) -> tuple[float, Counter, list[str]]:
    resolver = BulkResolver([("127.0.0.1", port)], concurrency=WINDOW, timeout=1.0, attempts=3)
    started = time.perf_counter()
    outcomes: Counter = Counter()
    found = []
    for result in resolver.resolve(names):
        outcomes[result.outcome] += 1
        if result.outcome == Outcome.ANSWER:
            found.append(result.name)
    return time.perf_counter() - started, outcomes, found


def reference(port: int, names: list[str]) -> float:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    resolver.cache = None
    started = time.perf_counter()
    for name in names:
        try:
            resolver.resolve(name, "A")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            pass
    return time.perf_counter() - started


def bare_load(port: int, names: list[str], deadline: float = 60.0) -> tuple[float, int]:
    """Send pre-built questions with WINDOW in flight; count answers without reading them."""
    packets = [
        struct.pack("!HHHHHH", i % 65536, 0x0100, 1, 0, 0, 0) + encode_name(n) + b"\x00\x01\x00\x01"
        for i, n in enumerate(names)
    ]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * 1024 * 1024)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    sent = answered = 0
    started = time.perf_counter()
    try:
        while answered < len(packets) and time.perf_counter() - started < deadline:
            while sent < len(packets) and sent - answered < WINDOW:
                sock.send(packets[sent])
                sent += 1
            if not selector.select(0.5):
                answered = sent  # lost datagrams: give up on them, keep the window moving
                continue
            while True:
                try:
                    sock.recv(4096)
                except BlockingIOError:
                    break
                answered += 1
    finally:
        selector.close()
        sock.close()
    return time.perf_counter() - started, answered


def peak_memory(port: int, names: list[str]) -> int:
    tracemalloc.start()
    resolver = BulkResolver([("127.0.0.1", port)], concurrency=WINDOW, timeout=1.0)
    for _ in resolver.resolve(iter(names)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 names, one run each")
    args = parser.parse_args()
    size, ref_size, runs = (2000, 200, 1) if args.quick else (10_000, 500, 3)

    words = read_wordlist("top-20000", size)
    names = [f"{word}.{DOMAIN}" for word in words]
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=30)
        brute_force(port, names[:500])  # warm-up: first-call costs out of the timings

        bulk_runs = [brute_force(port, names) for _ in range(runs)]
        bulk_seconds = min(r[0] for r in bulk_runs)
        _, outcomes, found = bulk_runs[0]
        ref_seconds = min(reference(port, names[:ref_size]) for _ in range(runs))
        bare_runs = [bare_load(port, names) for _ in range(runs)]
        bare_seconds, bare_answered = min(bare_runs)
        peak_full = peak_memory(port, names)
        peak_fifth = peak_memory(port, names[: size // 5])
    finally:
        stop.set()
        server.join(10)

    bulk_rate = size / bulk_seconds
    ref_rate = ref_size / ref_seconds
    bare_rate = bare_answered / bare_seconds
    share = bulk_rate / bare_rate
    growth = peak_full / max(peak_fifth, 1)
    met = bulk_rate >= TARGET_RATE or (bare_rate < TARGET_RATE and share >= TARGET_SHARE)
    lost = size - sum(outcomes.values())

    print(
        f"DNS brute force of {size:,} names under {DOMAIN} (server pid {server.pid}, "
        f"{os.cpu_count()} cores, window {WINDOW}, best of {runs})"
    )
    print(f"{'':<34}{'names':>8}{'seconds':>10}{'names/s':>10}")
    print(f"{'brute force (BulkResolver)':<34}{size:>8}{bulk_seconds:>10.3f}{bulk_rate:>10.0f}")
    print(
        f"{'reference: sequential dnspython':<34}{ref_size:>8}{ref_seconds:>10.3f}{ref_rate:>10.0f}"
    )
    print(
        f"{'bare load loop (server ceiling)':<34}{bare_answered:>8}{bare_seconds:>10.3f}{bare_rate:>10.0f}"
    )
    print(f"ratio to reference: {bulk_rate / ref_rate:.1f}x; share of server ceiling: {share:.0%}")
    print(f"outcomes: {dict(sorted((str(k), v) for k, v in outcomes.items()))}; unanswered: {lost}")
    print(f"found: {', '.join(sorted(found))}")
    print(
        f"peak traced memory: {peak_full / 1024:.0f} KiB for {size:,} names, "
        f"{peak_fifth / 1024:.0f} KiB for {size // 5:,} (x{growth:.2f})"
    )
    print(
        f"RESULT names_per_second={bulk_rate:.0f} reference_per_second={ref_rate:.0f} "
        f"ratio={bulk_rate / ref_rate:.1f} server_ceiling={bare_rate:.0f} "
        f"ceiling_share={share:.2f} peak_kib={peak_full / 1024:.0f} "
        f"peak_growth={growth:.2f} names={size} target_met={'yes' if met else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
