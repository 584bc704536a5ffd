"""A username run on a gevent worker, the pool the README gives collection: the run's
event loop must not hold the worker's other greenlets, nor make them look like async
code to Django (which then refuses their database work)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from replay.sites.server import SiteSimulation, Truth
from tests.factories import InvestigationFactory, JobFactory, TargetFactory

from .conftest import make_site

ROOT = Path(__file__).resolve().parents[3]
SITES = {
    site_id: {
        "name": site_id.title(),
        "home": f"https://{site_id}.example/",
        "profile": f"https://{site_id}.example/u/{{username}}",
        "detect": {"method": "status", "missing_status": []},
        "tags": ["social"],
    }
    for site_id in ("one", "two", "three", "four")
}

# Runs in a child process patched by gevent as a Celery gevent worker is: a username run
# through the service, while another greenlet keeps querying the database.
CHILD = """
from gevent import monkey

monkey.patch_all()

import json, sys, time

import django

django.setup()
import gevent

from investigations.tasking import JobContext
from scraping.models import PlatformLimit
from scraping.services.social import usernames
from scraping.usernames.manifest import site_from_dict

args = json.loads(sys.argv[1])
sites = [site_from_dict(site_id, data) for site_id, data in args["sites"].items()]
ticks, errors, running = [], [], [True]


def ticker():
    while running[0]:
        try:
            PlatformLimit.objects.count()
            ticks.append(time.monotonic())
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        gevent.sleep(0.02)


ticking = gevent.spawn(ticker)
ctx = JobContext(args["investigation"], args["job"], args["target"], None, source="username_sites")
started = time.monotonic()
results = usernames._run_checks(ctx, "alice", sites)
ended = time.monotonic()
running[0] = False
ticking.join()
print(json.dumps({
    "states": {r.site.id: r.state.value for r in results},
    "ticks_during_run": sum(1 for t in ticks if started <= t <= ended),
    "seconds": ended - started,
    "errors": errors[:3],
}))
"""


@pytest.mark.django_db(transaction=True)
def test_a_username_run_leaves_a_gevent_workers_other_greenlets_running():
    sites = [make_site(site_id, data["detect"]) for site_id, data in SITES.items()]
    truth = Truth()
    truth.add("alice", ["one", "three"])
    target = TargetFactory(investigation=InvestigationFactory(), kind="username", value="alice")
    job = JobFactory(investigation=target.investigation, target=target, name="username_sites")
    # Each answer takes 0.4 s: long enough for the other greenlet to show it goes on.
    with SiteSimulation(sites, truth=truth, latency=0.4) as simulation:
        database = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "SITE_URL_OVERRIDE": simulation.url,
            "ALLOW_PRIVATE_ADDRESSES": "1",
        }
        argument = json.dumps(
            {
                "sites": SITES,
                "investigation": target.investigation_id,
                "job": job.pk,
                "target": target.pk,
            }
        )
        child = subprocess.run(
            [sys.executable, "-c", CHILD, argument],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["states"] == {
        "one": "found",
        "two": "not_found",
        "three": "found",
        "four": "not_found",
    }
    # A run of about a second; a loop holding the worker would leave no tick in it.
    assert outcome["seconds"] >= 0.8
    assert outcome["ticks_during_run"] >= 10
