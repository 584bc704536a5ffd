"""The pipeline run eagerly (no broker): fan-out, analysis, report and final status."""

import json
from pathlib import Path

import pytest

from investigations.models import InvestigationStatus, Job, JobPhase, JobState, TargetStatus
from investigations.services import investigations as investigation_service


@pytest.fixture
def eager(eager_celery):
    return eager_celery


def run(django_capture_on_commit_callbacks, targets):
    investigation = investigation_service.create_investigation(name="test", targets=targets)
    with django_capture_on_commit_callbacks(execute=True):
        investigation_service.start_investigation(investigation.pk)
    investigation.refresh_from_db()
    return investigation


@pytest.mark.django_db
def test_a_github_user_investigation_completes_with_findings_and_reports(
    eager, github_replay, django_capture_on_commit_callbacks
):
    investigation = run(django_capture_on_commit_callbacks, ["github:jacquev6"])

    assert investigation.status == InvestigationStatus.COMPLETED
    assert investigation.progress == 100
    assert investigation.targets.get().status == TargetStatus.SUCCEEDED
    titles = set(investigation.findings.values_list("title", flat=True))
    assert "Most connected: account jacquev6 (19 links)" in titles
    report = json.loads(Path(investigation.reports.get(format="json").path).read_text())
    assert report["status"] == "completed"
    # Written just before the status step, it agrees with the end the status step records.
    assert report["progress"] == 100 and report["finished_at"] == report["generated_at"]
    assert {(s["phase"], s["state"]) for s in report["steps"]} >= {
        ("analysis", "succeeded"),
        ("report", "succeeded"),
    }
    names = {e["key"] for e in report["entities"]}
    assert {"github:jacquev6", "github:jacquev6/pygithub", "github:beaversoftware"} <= names
    assert (
        Path(investigation.reports.get(format="html").path).read_text().count("jacquev6/PyGithub")
        >= 1
    )


@pytest.mark.django_db
def test_an_investigation_with_nothing_to_collect_still_reaches_its_end(
    eager, django_capture_on_commit_callbacks
):
    investigation = run(django_capture_on_commit_callbacks, ["github:-bad", "nonsense"])

    assert investigation.status == InvestigationStatus.FAILED
    assert investigation.error_summary.startswith("No valid targets to investigate.")
    assert "rejected github:-bad" in investigation.error_summary
    assert investigation.reports.count() == 2


@pytest.mark.django_db
def test_an_unexpected_error_on_one_target_is_recorded_and_the_rest_is_kept(
    eager, github_replay, django_capture_on_commit_callbacks, monkeypatch
):
    from scraping.services.github import collect

    record_activity = collect._record_activity

    def fails_for_oddity(ctx, writer, graph, account, events):
        if account.key == "github:oddity":
            raise ZeroDivisionError("division by zero")  # a bug met on an odd answer
        return record_activity(ctx, writer, graph, account, events)

    monkeypatch.setattr(collect, "_record_activity", fails_for_oddity)
    github_replay.add("/users/oddity", {"login": "oddity", "type": "User", "location": "Lyon"})

    investigation = run(django_capture_on_commit_callbacks, ["github:jacquev6", "github:oddity"])

    assert investigation.status == InvestigationStatus.PARTIAL
    odd = investigation.targets.get(value="oddity")
    assert odd.status == TargetStatus.FAILED
    assert odd.error == "github: Unexpected error: ZeroDivisionError: division by zero"
    assert "github:oddity: failed: github: Unexpected error" in investigation.error_summary
    # What was collected before the error is kept, and so is the other target's work.
    assert investigation.entities.filter(key="github:oddity", attributes__location="Lyon").exists()
    assert investigation.targets.get(value="jacquev6").status == TargetStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_target_not_found_is_reported_as_such(
    eager, github_replay, django_capture_on_commit_callbacks
):
    investigation = run(django_capture_on_commit_callbacks, ["github:nvie", "github:ghost-user-x"])

    assert investigation.status == InvestigationStatus.PARTIAL
    ghost = investigation.targets.get(value="ghost-user-x")
    assert ghost.status == TargetStatus.NOT_FOUND
    assert ghost.error == "github: GitHub user 'ghost-user-x' not found on GitHub"


@pytest.mark.django_db
def test_a_second_delivery_of_a_finished_task_does_nothing(
    eager, github_replay, django_capture_on_commit_callbacks
):
    from scraping.tasks import scrape_github_user_task

    investigation = run(django_capture_on_commit_callbacks, ["github:nvie"])
    job = Job.objects.get(investigation=investigation, phase=JobPhase.SCRAPING)
    requests_before = len(github_replay.requests)

    result = scrape_github_user_task.apply(args=(job.target_id,), task_id=job.celery_task_id).get()

    assert result == {"state": "skipped"}
    assert len(github_replay.requests) == requests_before
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.django_db
def test_cancelling_stops_queued_work(
    github_replay, django_capture_on_commit_callbacks, monkeypatch
):
    from investigations import celery_control
    from scraping.tasks import scrape_github_user_task

    sent, revoked = [], []
    monkeypatch.setattr(celery_control, "send", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(celery_control, "revoke", lambda ids, terminate=False: revoked.extend(ids))
    investigation = run(django_capture_on_commit_callbacks, ["github:nvie"])
    from investigations import pipeline

    pipeline.claim_for_run(investigation.pk)
    pipeline.launch(investigation.pk)
    job = Job.objects.get(investigation=investigation, phase=JobPhase.SCRAPING)

    investigation_service.cancel_investigation(investigation.pk)
    result = scrape_github_user_task.apply(args=(job.target_id,), task_id="another-delivery").get()

    job.refresh_from_db()
    investigation.refresh_from_db()
    assert investigation.status == InvestigationStatus.CANCELLED
    assert job.state == JobState.CANCELLED
    assert job.celery_task_id in revoked
    assert result == {"state": "skipped"}
    assert github_replay.requests == []


@pytest.mark.django_db
def test_a_target_behind_a_paused_platform_waits_without_using_its_retries(github_replay, settings):
    """Through Celery's own retry: sends held back by a pause use no retry, and past the
    bound the target says it only waited."""
    from scraping import ratelimit
    from scraping.tasks import scrape_github_user_task

    settings.RATE_LIMIT_MAX_WAIT = 0.05
    settings.OSINT_RATE_LIMIT_MAX_DEFERRALS = 3
    ratelimit.pause("github", 600, "HTTP 403: request quota used up until its reset")
    investigation = investigation_service.create_investigation(name="t", targets=["github:nvie"])
    target = investigation.targets.get()

    # apply() runs each retry at once, in this process, as a worker would run it later.
    scrape_github_user_task.apply(args=(target.pk,))

    job = Job.objects.get(investigation=investigation, phase=JobPhase.SCRAPING)
    target.refresh_from_db()
    assert github_replay.requests == []  # nothing was sent while GitHub was paused
    assert job.attempts == 4  # the first send and three more, none counted as a fault
    assert job.state == JobState.FAILED
    assert job.error.startswith("Gave up after waiting 3 times for its turn: github is paused for")
    assert "request quota used up until its reset" in job.error
