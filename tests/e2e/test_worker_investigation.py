"""End to end: a real worker process on Redis runs whole investigations of recorded targets."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from investigations.models import (
    TERMINAL_STATUSES,
    Investigation,
    InvestigationStatus,
    Job,
    JobPhase,
)
from investigations.services import investigations as investigation_service
from replay.http import Reply

from .conftest import ROOT, database_url, purge_queues, wait_for

pytestmark = pytest.mark.worker


def finished(pk):
    investigation = Investigation.objects.get(pk=pk)
    return investigation if investigation.status in TERMINAL_STATUSES else None


def test_a_worker_runs_a_whole_investigation_to_its_report(start_worker, github_replay):
    # One transient fault on the way: the worker retries through the broker and goes on.
    github_replay.queue("/orgs/BeaverSoftware", Reply(502, "bad gateway"))
    start_worker(GITHUB_API_URL=github_replay.url)
    investigation = investigation_service.create_investigation(
        name="e2e",
        targets=["github:jacquev6", "github-org:BeaverSoftware", "github-repo:PyGithub/PyGithub"],
    )
    investigation_service.start_investigation(investigation.pk)

    investigation = wait_for(lambda: finished(investigation.pk))

    assert investigation.status == InvestigationStatus.COMPLETED, investigation.error_summary
    org_job = Job.objects.get(
        investigation=investigation, phase=JobPhase.SCRAPING, target__kind="github-org"
    )
    assert org_job.attempts == 2
    account = investigation.entities.get(key="github:jacquev6")
    assert account.attributes["location"] == "Paris, France"
    assert account.attributes["public_repos"] == 16
    repo = investigation.entities.get(key="github:pygithub/pygithub")
    assert repo.attributes["stargazers_count"] == 7122
    assert repo.attributes["description"] == "Typed interactions with the GitHub API v3"
    members = set(
        investigation.relationships.filter(
            kind="member_of", target__key="github:beaversoftware"
        ).values_list("source__key", flat=True)
    )
    assert members == {"github:cjuniet", "github:jacquev6", "github:lyloa"}

    report = json.loads(Path(investigation.reports.get(format="json").path).read_text())
    assert report["status"] == "completed"
    repos = {e["key"]: e for e in report["entities"] if e["kind"] == "repository"}
    assert repos["github:jacquev6/pygithub"]["attributes"]["language"] == "Python"
    assert repos["github:jacquev6/drawturkshead"]["attributes"]["language"] == "C++"
    html = Path(investigation.reports.get(format="html").path).read_text()
    assert "Typed interactions with the GitHub API v3" in html


def test_the_investigate_command_prints_the_result_as_json(start_worker, github_replay):
    start_worker(GITHUB_API_URL=github_replay.url)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command(
            "investigate", "github:nvie", "github:ghost-user-x", "--json", stdout=out, stderr=err
        )

    assert exited.value.code == 1  # partial: one target was not found
    document = json.loads(out.getvalue())
    assert document["status"] == "partial"
    outcomes = {t["target"]: (t["status"], t["error"]) for t in document["targets"]}
    assert outcomes["github:nvie"] == ("succeeded", "")
    assert outcomes["github:ghost-user-x"] == (
        "not_found",
        "github: GitHub user 'ghost-user-x' not found on GitHub",
    )
    nvie = next(e for e in document["entities"] if e["key"] == "github:nvie")
    assert nvie["attributes"]["blog"] == "http://nvie.com"
    assert any(r["kind"] == "links_to" for r in document["relationships"])
    assert {f["key"] for f in document["findings"]} == {
        "entities",
        "most_connected",
        "failed_sources",
        "source_notes",
    }
    notes = next(f for f in document["findings"] if f["key"] == "source_notes")
    # nvie has no recorded organizations or events: parts noted, not problems.
    assert notes["title"].endswith(("notes from the sources", "note from the sources"))
    assert all(n["source"] == "github" for n in notes["data"]["notes"])
    assert document["reports"]["html"].endswith("summary.html")
    assert "queued" in err.getvalue()


def investigate_in_a_process(env: dict[str, str], *targets: str):
    """``manage.py investigate`` as a user runs it: its own process, its exit status."""
    return subprocess.run(
        [sys.executable, "manage.py", "investigate", *targets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_investigate_command_says_when_no_worker_answers(transactional_db):
    purge_queues()
    env = {**os.environ, "DATABASE_URL": database_url()}

    done = investigate_in_a_process(env, "github:nvie")

    assert done.returncode == 3
    assert "No Celery worker answered on redis://127.0.0.1:6379" in done.stderr
    assert "--with-worker" in done.stderr
    assert Investigation.objects.count() == 0


def test_the_investigate_command_says_when_the_broker_does_not_answer(transactional_db):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }

    done = investigate_in_a_process(env, "github:nvie")

    assert done.returncode == 3
    assert "The task broker at redis://127.0.0.1:1/0 does not answer" in done.stderr
    assert "Traceback" not in done.stderr
