import re

import pytest
from playwright.sync_api import expect

from investigations.models import Investigation, InvestigationStatus
from tests.factories import InvestigationFactory, TargetFactory, add_many_targets

pytestmark = pytest.mark.browser


def submit_investigation(page, name: str, targets: str) -> None:
    page.click("text=New investigation")
    page.fill("#id_name", name)
    page.fill("#id_targets", targets)
    page.click("#create-form button[type=submit]")


@pytest.fixture
def eager(eager_celery):
    return eager_celery


def test_login_is_required_and_a_wrong_password_is_refused(page, live_server, analyst):
    page.goto(f"{live_server.url}/investigations/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/investigations/"))

    page.fill("#id_username", "analyst")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")

    expect(page.locator(".errors")).to_contain_text("enter a correct username and password")


def test_an_analyst_creates_an_investigation_and_sees_what_it_found(
    logged_in, live_server, github_replay, eager
):
    page = logged_in
    submit_investigation(page, "Vincent", "github:jacquev6\ngithub:<script>")

    # A bad line is refused with its reason, and nothing is created.
    expect(page.locator("#errors-targets")).to_contain_text("not a GitHub user login")
    assert Investigation.objects.count() == 0

    page.fill("#id_targets", "github:jacquev6\ngithub-repo:PyGithub/PyGithub")
    page.click("#create-form button[type=submit]")

    expect(page.locator("#status")).to_have_text("Completed")
    expect(page.locator("#targets")).to_contain_text("github:jacquev6")
    expect(page.locator("#entities")).to_contain_text("jacquev6/PyGithub")
    expect(page.locator("#findings")).to_contain_text("Most connected: account jacquev6")
    page.click("text=repository (13)")
    expect(page.locator("#entities tbody tr")).to_have_count(13)

    with page.expect_download() as download:
        page.click("#reports >> text=summary.json")
    assert download.value.suggested_filename.endswith("-summary.json")


def test_per_target_errors_are_shown(logged_in, live_server, github_replay, eager):
    page = logged_in
    submit_investigation(page, "Mixed", "github:nvie\ngithub:ghost-user-x")

    expect(page.locator("#status")).to_have_text("Partial")
    row = page.locator("#targets tr", has_text="github:ghost-user-x")
    # As the analyst sees it, styles applied: the status's label, not its stored value.
    expect(row.locator(".status")).to_have_text("Not found", use_inner_text=True)
    expect(page.locator("#target-statuses")).to_contain_text("not found (1)", use_inner_text=True)
    expect(row).to_contain_text("GitHub user 'ghost-user-x' not found on GitHub")


def test_hostile_scraped_text_is_shown_as_text_and_never_runs(
    logged_in, live_server, github_replay, eager
):
    github_replay.add(
        "/users/mallory",
        {
            "login": "mallory",
            "type": "User",
            "bio": '<img src=x onerror="alert(1)"><script>alert(2)</script>',
            "location": "</td><script>alert(3)</script>",
        },
    )
    page = logged_in
    submit_investigation(page, "Hostile", "github:mallory")

    expect(page.locator("#status")).to_have_text("Completed")
    expect(page.locator("#entities")).to_contain_text('<img src=x onerror="alert(1)">')
    assert page.locator("#entities img").count() == 0
    assert page.locator("#entities script").count() == 0
    assert page.dialogs == []


def test_the_detail_page_follows_a_running_investigation_to_its_end(
    logged_in, live_server, analyst
):
    investigation = InvestigationFactory(
        owner=analyst, status=InvestigationStatus.RUNNING, progress=40
    )
    TargetFactory(investigation=investigation, value="nvie")
    page = logged_in
    page.goto(f"{live_server.url}/investigations/{investigation.pk}/")
    expect(page.locator("#progress-text")).to_have_text("40")

    Investigation.objects.filter(pk=investigation.pk).update(progress=70)
    expect(page.locator("#progress-text")).to_have_text("70")
    Investigation.objects.filter(pk=investigation.pk).update(
        status=InvestigationStatus.COMPLETED, progress=100
    )

    expect(page.locator("#status")).to_have_text("Completed")


def test_pages_load_their_icon_and_every_other_file_without_an_error(page, live_server, analyst):
    failed, console_errors = [], []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/investigations/")
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")

    assert icon == 200
    assert failed == [] and console_errors == []


def test_the_list_shows_only_the_analysts_own_investigations(logged_in, live_server, analyst):
    InvestigationFactory(owner=analyst, name="Mine")
    InvestigationFactory(name="Someone else's")

    logged_in.goto(f"{live_server.url}/investigations/")

    expect(logged_in.locator("#investigations")).to_contain_text("Mine")
    expect(logged_in.locator("#investigations")).not_to_contain_text("Someone else's")


def test_a_long_target_list_is_filtered_by_status_and_paged(logged_in, live_server, analyst):
    investigation = InvestigationFactory(owner=analyst, status=InvestigationStatus.PARTIAL)
    add_many_targets(investigation, 250, width=3)
    page = logged_in
    page.goto(f"{live_server.url}/investigations/{investigation.pk}/")
    rows = page.locator("#targets tbody tr")
    expect(rows).to_have_count(100)
    expect(page.locator("#targets-pager")).to_contain_text("Page 1 of 3")

    page.click("#target-statuses >> text=failed (25)")

    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("github:user-000")
    expect(page.locator("#targets .status-succeeded")).to_have_count(0)

    page.click("#target-statuses >> text=all")
    page.click("#targets-pager >> text=Next")

    expect(rows.first).to_contain_text("github:user-100")
    expect(page.locator("#targets-pager")).to_contain_text("Page 2 of 3")
