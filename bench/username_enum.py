"""Username enumeration: our checker against Sherlock, on Sherlock's own site list.

    .venv/bin/python bench/username_enum.py [--quick] [--latency 0.1 0.3]

Each site of Sherlock's list runs on its own loopback port in a separate process (the
site simulation), answering after the given latency as the real site answers existing and
missing profiles. One name is checked by both tools, each in a fresh child process,
timed in-process after its imports: our ``UsernameChecker`` with a manifest in our
format, and Sherlock's ``sherlock()`` with a manifest in Sherlock's format, both pointing
at the same ports. Printed: wall and CPU time, peak memory, the ratio, the floor
(latency x sites / concurrency) and each tool's accuracy against the simulation's truth.
"""

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint_platform.settings")

USERNAME = "alexsmith42"
CONCURRENCY = 256


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


def serve(latency: float, ready) -> None:
    import asyncio

    import django

    django.setup()
    from replay.sites.server import SiteSimulation, Truth

    sherlock = sherlock_sites()

    async def main():
        # Free ports first, then the sites rewritten to them and served there.
        ports = free_ports(list(sherlock))
        sites = simulation_sites(sherlock, ports)
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
            ports={site.id: ports[name] for name, site in sites.items()},
        )
        await simulation.serve()
        ready.send(ports)
        await asyncio.Event().wait()

    asyncio.run(main())


def free_ports(names: list[str]) -> dict[str, int]:
    import socket

    sockets = {}
    for name in names:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets[name] = sock
    ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    for sock in sockets.values():
        sock.close()
    return ports


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
    import django

    django.setup()
    from scraping.usernames.checker import UsernameChecker
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
    transport = SiteTransport(user_agent="bench", concurrency=CONCURRENCY, max_body_bytes=1 << 20)
    checker = UsernameChecker(transport, site_timeout=30, run_timeout=120)

    def work():
        results = checker.check(USERNAME, sites)
        return {
            name: r.state == CheckState.FOUND for r in results for name in names_of[r.site.id]
        }, {r.site.id: r.state.value for r in results if r.state == CheckState.UNKNOWN}

    result = measure(work)
    result["answers"], result["unknown"] = result["answers"]
    result["sites"] = len(sites)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 100 ms case only")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.1, 0.3])
    args = parser.parse_args()
    latencies = args.latency[:1] if args.quick else args.latency
    sherlock = sherlock_sites()
    rows, result_fields = [], []
    for latency in latencies:
        parent, child = mp.Pipe()
        server = mp.get_context("spawn").Process(target=serve, args=(latency, child), daemon=True)
        server.start()
        ports = parent.recv()
        try:
            theirs = in_child(run_sherlock, ports)
            ours = in_child(run_ours, ports)
        finally:
            server.terminate()
            server.join()
        floor = latency * len(sherlock) / CONCURRENCY
        ours_right, total = accuracy(ours["answers"], sherlock)
        theirs_right, _ = accuracy(theirs["answers"], sherlock)
        ratio = theirs["wall"] / ours["wall"]
        rows.append((latency, ours, theirs, ratio, floor, ours_right, theirs_right, total))
        ms = int(latency * 1000)
        result_fields += [
            f"ratio_{ms}ms={ratio:.2f}",
            f"ours_{ms}ms_s={ours['wall']:.3f}",
            f"sherlock_{ms}ms_s={theirs['wall']:.3f}",
            f"floor_x_{ms}ms={ours['wall'] / floor:.2f}",
            f"ours_right_{ms}ms={ours_right}/{total}",
            f"sherlock_right_{ms}ms={theirs_right}/{total}",
        ]
    print(
        f"One name ({USERNAME}) on Sherlock's {len(sherlock)} sites, each on its own port; our concurrency {CONCURRENCY}"
    )
    print(
        f"{'latency':>8} {'tool':>9} {'wall s':>8} {'cpu s':>7} {'peak MB':>8} {'right':>9}  notes"
    )
    for latency, ours, theirs, ratio, floor, ours_right, theirs_right, total in rows:
        print(
            f"{latency * 1000:>6.0f}ms {'ours':>9} {ours['wall']:>8.3f} {ours['cpu']:>7.3f} {ours['peak_mb']:>8.1f} {ours_right:>4}/{total}  {ours['sites']} manifest sites; x{ours['wall'] / floor:.2f} of floor {floor:.3f} s; unknown: {ours['unknown'] or 'none'}"
        )
        print(
            f"{'':>8} {'sherlock':>9} {theirs['wall']:>8.3f} {theirs['cpu']:>7.3f} {theirs['peak_mb']:>8.1f} {theirs_right:>4}/{total}  ratio {ratio:.2f}x"
        )
    print("RESULT " + " ".join(result_fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
