"""Username enumeration: our checker against Sherlock, on Sherlock's own site list.

    .venv/bin/python bench/username_enum.py [--quick] [--latency 0.1 0.3] [--runs 3]
                                            [--sim-processes 2]

Our checks in flight: 256, or BENCH_CONCURRENCY; the floor is taken at that number.

Each site of Sherlock's list runs on its own loopback port, served by the site simulation
spread over a few processes, answering after the given latency as the real site answers
existing and missing profiles. One name is checked by both tools, each in a fresh child
process, timed in-process after its imports: our ``UsernameChecker`` with a manifest in
our format, and Sherlock's ``sherlock()`` with a manifest in Sherlock's format, both
pointing at the same ports. Each tool runs ``--runs`` times per latency, in alternating
order; medians are reported with their range, the ratio taken per pair of runs.

Printed: wall and CPU time, the simulation's CPU time while the tool ran (over the tool's
whole child process), peak memory, the ratio, the floor (latency x sites / concurrency)
and each tool's accuracy against the simulation's truth (the worst run). Two more rows
for reading the figures, not for the targets: ours with the control answers remembered
from an earlier run (as the shared cache keeps them in production; the first run of the
day pays them), a bare loop asking each port once over raw sockets at our concurrency
(what the simulation and the machine allow at all), and the same bare loop asking again,
on the same connection, each site our first run sent a control check (the ceiling for a
first run's requests: a control check cannot start before its site's first answer).
"""

import argparse
import hashlib
import json
import math
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint_platform.settings")

USERNAME = "alexsmith42"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "256"))


def sherlock_sites() -> dict:
    import sherlock_project

    path = Path(sherlock_project.__file__).parent
    data = json.loads((path / "resources" / "data.json").read_text())
    data.pop("$schema", None)
    return data


def rewrite(url: str, port: int, placeholder: str) -> str:
    """An address of a site moved to its loopback port; a name in the host goes to the path."""
    parts = urlsplit(url.replace(placeholder, "\x00"))
    path = parts.path or "/"
    if "\x00" in parts.netloc:
        path = f"/_host/{parts.netloc}{path}"
    query = f"?{parts.query}" if parts.query else ""
    return f"http://127.0.0.1:{port}{path}{query}".replace("\x00", placeholder)


def present_on(site_profile: str) -> bool:
    """The truth: the name exists on a stable third of the sites."""
    return int(hashlib.sha256(site_profile.encode()).hexdigest(), 16) % 3 == 0


# -- the simulation, in its own process ------------------------------------------------------


def simulation_sites(sherlock: dict, ports: dict[str, int] | None):
    """Sherlock's sites in our format (one per Sherlock entry), addresses on their ports."""
    from scraping.usernames.build_manifest import convert_site
    from scraping.usernames.manifest import site_from_dict

    sites = {}
    for name, data in sherlock.items():
        site_id, site = convert_site(name, data, None)
        if ports is not None:
            port = ports[name]
            for holder, key in (
                (site, "profile"),
                (site, "home"),
                (site.get("request", {}), "url"),
            ):
                if holder.get(key):
                    holder[key] = rewrite(holder[key], port, "{username}")
            if site["detect"].get("missing_url"):
                site["detect"]["missing_url"] = rewrite(
                    site["detect"]["missing_url"], port, "{username}"
                )
        sites[name] = site_from_dict(site_id, site)
    return sites


def serve(latency: float, names: list[str], ready) -> None:
    """One process of the simulation: the sites ``names``, each on a free port it reports.

    The sockets are bound here, not picked beforehand and bound later, so that no other
    program on the machine can take a port in between."""
    import asyncio

    import django

    django.setup()
    from replay.sites.server import SiteSimulation, Truth

    sherlock = {name: data for name, data in sherlock_sites().items() if name in set(names)}

    async def main():
        # The port in the rewritten addresses is not read by the simulation (the port a
        # request arrives on names the site); the real ones are known once bound.
        sites = simulation_sites(sherlock, dict.fromkeys(sherlock, 0))
        truth = Truth()
        truth.add(
            USERNAME, [s.id for name, s in sites.items() if present_on(sherlock[name]["url"])]
        )
        simulation = SiteSimulation(
            list(sites.values()),
            truth=truth,
            per_site_ports=True,
            latency=latency,
            keep_log=False,
            ports=dict.fromkeys((site.id for site in sites.values()), 0),
        )
        await simulation.serve()
        ready.send({name: simulation.ports[site.id] for name, site in sites.items()})
        await asyncio.Event().wait()

    run_loop(main())


def run_loop(coroutine):
    """On uvloop where it is installed: the simulation is then not the ceiling."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


class Simulation:
    """The sites spread over ``processes`` processes, so that one event loop answering
    every port is not what both tools measure."""

    def __init__(self, latency: float, processes: int):
        names = list(sherlock_sites())
        self.ports: dict[str, int] = {}
        self.processes = []
        pipes = []
        context = mp.get_context("spawn")
        for n in range(processes):
            parent, child = context.Pipe()
            process = context.Process(
                target=serve, args=(latency, names[n::processes], child), daemon=True
            )
            process.start()
            self.processes.append(process)
            pipes.append(parent)
        for pipe in pipes:
            self.ports.update(pipe.recv())

    def cpu(self) -> float:
        """CPU seconds used so far by the simulation's processes."""
        import psutil

        return sum(sum(psutil.Process(p.pid).cpu_times()[:2]) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join()


# -- the two tools, each in a fresh process ----------------------------------------------------


def measure(work, *args) -> dict:
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, wall = time.process_time(), time.perf_counter()
    answers = work(*args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_mb": peak / 1024,
        "grew_mb": (peak - start_rss) / 1024,
        "answers": answers,
    }


def run_ours(ports: dict[str, int], out) -> None:
    """Our checker as a first run meets the sites: no control answer remembered."""
    _run_ours(ports, out, warm=False)


def run_ours_warm(ports: dict[str, int], out) -> None:
    """Our checker with the control answers remembered from an earlier run (untimed), as
    the shared cache keeps them for USERNAME_CONTROL_CACHE_SECONDS in production."""
    _run_ours(ports, out, warm=True)


def _run_ours(ports: dict[str, int], out, *, warm: bool) -> None:
    import django

    django.setup()
    from scraping.ratelimit import Limit
    from scraping.services.social.usernames import SiteTurns
    from scraping.usernames.checker import InMemoryControlMemory, UsernameChecker
    from scraping.usernames.detection import CheckState
    from scraping.usernames.manifest import load_sites
    from scraping.usernames.transport import SiteTransport

    sherlock = sherlock_sites()
    by_profile = {}
    for name, data in sherlock.items():
        by_profile.setdefault(data["url"].replace("{}", "{username}").lower(), []).append(name)
    sites = []
    names_of = {}
    for site in load_sites():
        names = by_profile.get(site.profile.lower(), [])
        if not names:
            continue
        port = ports[names[0]]
        moved = {
            "name": site.name,
            "home": rewrite(site.home, port, "{username}"),
            "profile": rewrite(site.profile, port, "{username}"),
            "detect": {
                "method": site.detect.method.value,
                "missing_status": list(site.detect.missing_status),
                "missing_text": list(site.detect.missing_text),
                "field": site.detect.field,
                "missing": list(site.detect.missing_values),
            },
            "tags": list(site.tags),
            "username": {"pattern": site.rules.pattern} if site.rules.pattern else None,
            "unknown_text": site.unknown_text,
            "walled": site.walled,
        }
        if site.request_url or site.payload is not None or site.method != "GET" or site.headers:
            moved["request"] = {
                "url": rewrite(site.request_url, port, "{username}") if site.request_url else None,
                "method": site.method,
                "headers": site.headers,
                "json": site.payload,
            }
        from scraping.usernames.manifest import site_from_dict

        sites.append(site_from_dict(site.id, moved))
        names_of[site.id] = names
    # The simulation's ports are on loopback: allowed here as ALLOW_PRIVATE_ADDRESSES would.
    transport = SiteTransport(
        user_agent="bench", concurrency=CONCURRENCY, max_body_bytes=1 << 20, allow_private=True
    )
    memory = InMemoryControlMemory()
    # As production runs it: every site's turn taken in one step before the run and its
    # answers read for pauses after (in Redis when REDIS_URL is set), under a limit that
    # never binds, so that the figure is the cost of the step and not a wait.
    turns = SiteTurns(sites, limit=Limit(requests_per_second=0.0, burst=1, max_concurrent=0))
    checker = UsernameChecker(
        transport, site_timeout=30, run_timeout=120, control_memory=memory, turns=turns
    )
    # A worker has its connection to the rate-limit store and the store's scripts from its
    # first run on; set them up here, outside the timing, as other start-up is.
    turns.reserve([site.id for site in sites], max_wait=0.0)
    if warm:
        checker.check(USERNAME, sites)

    def work():
        results = checker.check(USERNAME, sites)
        return (
            {name: r.state == CheckState.FOUND for r in results for name in names_of[r.site.id]},
            {r.site.id: r.state.value for r in results if r.state == CheckState.UNKNOWN},
            [names_of[r.site.id][0] for r in results if r.control_result is not None],
        )

    result = measure(work)
    result["answers"], result["unknown"], result["controlled"] = result["answers"]
    result["controls"] = len(result["controlled"])
    result["sites"] = len(sites)
    out.send(result)


def turn_store() -> str:
    """Where our checker's turns are kept in this run, for the table's heading."""
    import django

    django.setup()
    from scraping import ratelimit

    return "in Redis (shared)" if ratelimit.backend().shared else "in this process (no REDIS_URL)"


def run_bare(ports: dict[str, int], out) -> None:
    _bare(ports, out, chained=[])


def run_bare_chained(ports: dict[str, int], chained: list[str], out) -> None:
    _bare(ports, out, chained=chained)


def _bare(ports: dict[str, int], out, *, chained: list[str]) -> None:
    """The ceiling: a bare loop asking each port once, at our concurrency, over raw
    sockets. No client can do one request per site on this simulation and machine faster.
    With ``chained`` (the sites our first run sent a control check), each of those ports
    is asked a second time on the same connection once its first answer is in, as the
    control checks are: the ceiling for the request pattern of a first run."""
    import asyncio

    async def exchange(reader, writer, port: int, name: str) -> None:
        writer.write(f"GET /{name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)

    async def ask(site: str, port: int, slots: asyncio.Semaphore) -> None:
        async with slots:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await exchange(reader, writer, port, USERNAME)
        if site in twice:
            async with slots:
                await exchange(reader, writer, port, "zq7wv9xk2m4pt8")
        writer.close()

    async def every_port() -> dict:
        slots = asyncio.Semaphore(CONCURRENCY)
        await asyncio.gather(*(ask(site, port, slots) for site, port in ports.items()))
        return {}

    twice = set(chained)
    result = measure(run_loop, every_port())
    result["sites"] = len(ports)
    out.send(result)


def run_sherlock(ports: dict[str, int], out) -> None:
    from sherlock_project.notify import QueryNotify
    from sherlock_project.result import QueryStatus
    from sherlock_project.sherlock import sherlock
    from sherlock_project.sites import SitesInformation

    data = sherlock_sites()
    for name, entry in data.items():
        for key in ("url", "urlMain", "urlProbe", "errorUrl"):
            if entry.get(key):
                entry[key] = rewrite(entry[key], ports[name], "{}")
    handle, name = tempfile.mkstemp(prefix="sherlock-bench-", suffix=".json")
    os.close(handle)
    manifest = Path(name)
    manifest.write_text(json.dumps(data))
    # Exclusions are fetched from the internet unless turned off.
    sites = SitesInformation(data_file_path=str(manifest), honor_exclusions=False)
    site_data = {site.name: site.information for site in sites}

    def work():
        results = sherlock(USERNAME, site_data, QueryNotify(), timeout=30)
        return {name: r["status"].status == QueryStatus.CLAIMED for name, r in results.items()}

    result = measure(work)
    result["sites"] = len(site_data)
    manifest.unlink()
    out.send(result)


def in_child(target, *args) -> dict:
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(target=target, args=(*args, child))
    process.start()
    result = parent.recv()
    process.join()
    return result


def accuracy(answers: dict[str, bool], sherlock: dict) -> tuple[int, int]:
    right = sum(
        1
        for name, data in sherlock.items()
        if answers.get(name) == present_on(data["url"]) and not _invalid(data)
    )
    right += sum(
        1 for name, data in sherlock.items() if _invalid(data) and answers.get(name) is False
    )
    return right, len(sherlock)


def _invalid(data: dict) -> bool:
    import re

    return bool(data.get("regexCheck")) and re.search(data["regexCheck"], USERNAME) is None


def spread(values: list[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 100 ms case only, one run")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each tool per latency (medians reported)"
    )
    parser.add_argument(
        "--sim-processes", type=int, default=2, help="processes the simulation is spread over"
    )
    args = parser.parse_args()
    latencies = args.latency[:1] if args.quick else args.latency
    runs = 1 if args.quick else max(1, args.runs)
    sherlock = sherlock_sites()
    tools = {
        "ours": run_ours,
        "sherlock": run_sherlock,
        "warm": run_ours_warm,
        "bare": run_bare,
        "bare+ctl": run_bare_chained,
    }
    rows, result_fields = [], []
    for latency in latencies:
        simulation = Simulation(latency, args.sim_processes)
        measured = {tool: [] for tool in tools}
        try:
            for n in range(runs):
                # Turns alternate, so that a change in the machine's load falls on both.
                order = ["sherlock", "ours"] if n % 2 == 0 else ["ours", "sherlock"]
                for tool in [*order, "warm", "bare", "bare+ctl"]:
                    before = simulation.cpu()
                    # The chained ceiling repeats the control checks of this run's "ours".
                    extra = (measured["ours"][-1]["controlled"],) if tool == "bare+ctl" else ()
                    result = in_child(tools[tool], simulation.ports, *extra)
                    result["sim_cpu"] = simulation.cpu() - before
                    measured[tool].append(result)
        finally:
            simulation.stop()
        floor = latency * len(sherlock) / CONCURRENCY
        ratios = [
            t["wall"] / o["wall"]
            for o, t in zip(measured["ours"], measured["sherlock"], strict=True)
        ]
        ours_right = min(accuracy(r["answers"], sherlock)[0] for r in measured["ours"])
        theirs_right = min(accuracy(r["answers"], sherlock)[0] for r in measured["sherlock"])
        warm_right = min(accuracy(r["answers"], sherlock)[0] for r in measured["warm"])
        walls = {tool: [r["wall"] for r in results] for tool, results in measured.items()}
        ours_wall = statistics.median(walls["ours"])
        rows.append((latency, measured, walls, ratios, floor, ours_right, theirs_right, warm_right))
        ms = int(latency * 1000)
        result_fields += [
            f"ratio_{ms}ms={statistics.median(ratios):.2f}",
            f"ratio_{ms}ms_range={min(ratios):.2f}-{max(ratios):.2f}",
            f"ours_{ms}ms_s={ours_wall:.3f}",
            f"sherlock_{ms}ms_s={statistics.median(walls['sherlock']):.3f}",
            f"floor_x_{ms}ms={ours_wall / floor:.2f}",
            f"bare_x_{ms}ms={ours_wall / statistics.median(walls['bare']):.2f}",
            f"bare_ctl_floor_x_{ms}ms={statistics.median(walls['bare+ctl']) / floor:.2f}",
            f"ours_right_{ms}ms={ours_right}/{len(sherlock)}",
            f"sherlock_right_{ms}ms={theirs_right}/{len(sherlock)}",
            f"warm_{ms}ms_s={statistics.median(walls['warm']):.3f}",
            f"warm_floor_x_{ms}ms={statistics.median(walls['warm']) / floor:.2f}",
            f"warm_right_{ms}ms={warm_right}/{len(sherlock)}",
        ]
    print(
        f"One name ({USERNAME}) on Sherlock's {len(sherlock)} sites, each on its own port, "
        f"the simulation in {args.sim_processes} processes; our concurrency {CONCURRENCY}; "
        f"{runs} run(s) of each tool, medians (min-max); right = the worst run; "
        f"ours takes its sites' turns {turn_store()}"
    )
    print(
        f"{'latency':>8} {'tool':>9} {'wall s':>8} {'min-max':>12} {'cpu s':>7} {'sim cpu':>8}"
        f" {'peak MB':>8} {'right':>8}  notes"
    )
    for latency, measured, walls, ratios, floor, ours_right, theirs_right, warm_right in rows:
        total = len(sherlock)
        ours = measured["ours"]
        # Each control check waits for its site's first answer, so at our concurrency the
        # requests take at least this many latencies one after another.
        requests = ours[0]["sites"] + ours[0]["controls"]
        rounds = max(2 if ours[0]["controls"] else 1, math.ceil(requests / CONCURRENCY))
        notes = {
            "ours": f"{ours[0]['sites']} manifest sites + {ours[0]['controls']} control checks"
            f" = {rounds} latencies at least; x{statistics.median(walls['ours']) / floor:.2f}"
            f" of floor {floor:.3f} s; unknown: {ours[0]['unknown'] or 'none'}",
            "warm": "ours, control answers remembered from an earlier run (as in production);"
            f" x{statistics.median(walls['warm']) / floor:.2f} of floor",
            "sherlock": f"ratio {statistics.median(ratios):.2f}x"
            f" ({min(ratios):.2f}-{max(ratios):.2f})",
            "bare": "ceiling: one raw request per port, no checking",
            "bare+ctl": f"ceiling of a first run: the same, plus {ours[-1]['controls']} second"
            " requests on the connections of the sites ours checked twice;"
            f" x{statistics.median(walls['bare+ctl']) / floor:.2f} of floor",
        }
        right = {
            "ours": f"{ours_right}/{total}",
            "sherlock": f"{theirs_right}/{total}",
            "warm": f"{warm_right}/{total}",
            "bare": "",
            "bare+ctl": "",
        }
        for n, tool in enumerate(("ours", "sherlock", "warm", "bare", "bare+ctl")):
            results = measured[tool]
            label = f"{latency * 1000:.0f}ms" if n == 0 else ""
            print(
                f"{label:>8} {tool:>9} {statistics.median(walls[tool]):>8.3f}"
                f" {spread(walls[tool]):>12}"
                f" {statistics.median(r['cpu'] for r in results):>7.3f}"
                f" {statistics.median(r['sim_cpu'] for r in results):>8.3f}"
                f" {max(r['peak_mb'] for r in results):>8.1f} {right[tool]:>8}  {notes[tool]}"
            )
    print("RESULT " + " ".join(result_fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
