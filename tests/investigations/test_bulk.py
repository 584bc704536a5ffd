"""Bulk investigations: lists from files or the API, run in bounded batches."""

import io
import json
import socket
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from investigations.api.serializers import BulkInvestigationSerializer
from investigations.forms import InvestigationForm
from investigations.models import Investigation, InvestigationStatus, TargetStatus
from investigations.services import bulk as bulk_service
from investigations.services.investigations import InvestigationError
from investigations.tasks import bulk_scrape_task, monitor_scraping_progress_task
from replay.github.synthetic import synthetic_login
from tests.factories import UserFactory


@pytest.fixture
def eager(eager_celery):
    return eager_celery


@pytest.fixture
def fast_github(settings, github_replay):
    """A token (5,000 requests an hour on the replay) and limits that do not slow a test."""
    settings.GITHUB_TOKEN = "ghp_scaletest"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "github": (10_000.0, 100, 0)}
    return github_replay


def test_task_names_are_pinned():
    assert bulk_scrape_task.name == "investigations.tasks.bulk_scrape_task"
    assert monitor_scraping_progress_task.name == (
        "investigations.tasks.monitor_scraping_progress_task"
    )


def test_a_text_file_gives_one_target_a_line_without_comments():
    data = b"\xef\xbb\xbfgithub:nvie\n# a comment\n\n  github-org:acme  \r\ngithub:bad\x00line\n"

    assert bulk_service.read_target_file(data, "list.txt") == [
        "github:nvie",
        "github-org:acme",
        "github:bad\x00line",  # kept: the target parser refuses it, with the reason
    ]


def test_a_csv_file_gives_its_target_column_or_its_kind_and_value_columns():
    with_target = "name,target\nNico,github:nvie\nAcme,github-org:acme\n"
    with_kind = "kind,value,why\ngithub,nvie,x\ngithub-repo,a/b,y\n"
    bare = "github:nvie,first\ngithub:octocat,second\n"

    assert bulk_service.read_target_file(with_target, "a.csv") == ["github:nvie", "github-org:acme"]
    assert bulk_service.read_target_file(with_kind, "b.csv") == ["github:nvie", "github-repo:a/b"]
    assert bulk_service.read_target_file(bare, "c.csv") == ["github:nvie", "github:octocat"]


def test_a_file_over_the_bound_is_refused_with_the_bound(settings):
    settings.OSINT_BULK_MAX_TARGETS = 3

    with pytest.raises(InvestigationError, match="4 targets; at most 3"):
        bulk_service.read_target_file("a\nb\nc\nd\n", "list.txt")


class WatchedUpload(SimpleUploadedFile):
    """An upload that remembers how many bytes each read asked for (-1: all of it)."""

    def __init__(self, content: bytes, size: int | None = None):
        super().__init__("targets.txt", content)
        self.asked: list[int] = []
        if size is not None:
            self.size = size

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


def test_an_upload_over_the_bound_is_refused_by_its_size_before_any_of_it_is_read(settings):
    settings.OSINT_BULK_MAX_TARGETS = 2  # 1,200 bytes
    upload = WatchedUpload(b"github:nvie\n" * 101)

    with pytest.raises(InvestigationError, match="The file is too large: at most 2 targets"):
        bulk_service.read_target_upload(upload)

    assert upload.asked == []


def test_an_upload_that_understates_its_size_is_read_only_one_byte_past_the_bound(settings):
    settings.OSINT_BULK_MAX_TARGETS = 2
    upload = WatchedUpload(b"github:nvie\n" * 101, size=12)

    with pytest.raises(InvestigationError, match="The file is too large: at most 2 targets"):
        bulk_service.read_target_upload(upload)

    assert upload.asked == [1201]


@pytest.mark.django_db
def test_the_form_and_the_api_refuse_a_large_upload_without_reading_it(settings):
    settings.OSINT_BULK_MAX_TARGETS = 2
    in_form, in_api = WatchedUpload(b"x" * 1201), WatchedUpload(b"x" * 1201)

    form = InvestigationForm(
        data={"name": "Case", "mode": "quick"}, files={"targets_file": in_form}
    )
    api = BulkInvestigationSerializer(data={"file": in_api})

    assert not form.is_valid() and not api.is_valid()
    assert form.errors["targets_file"] == ["The file is too large: at most 2 targets a list."]
    assert api.errors["file"] == ["The file is too large: at most 2 targets a list."]
    assert in_form.asked == [] and in_api.asked == []


@pytest.mark.django_db
@pytest.mark.parametrize("file", [b"", ""], ids=["an empty file part", "an empty file field"])
def test_an_empty_file_sent_to_the_bulk_api_is_called_empty(file):
    client = APIClient()
    client.force_authenticate(UserFactory())
    data = {"name": "x", "file": SimpleUploadedFile("empty.txt", file) if file == b"" else file}

    response = client.post(reverse("investigation-bulk"), data, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["The submitted file is empty."]}


def test_a_body_sent_in_chunks_is_refused_as_unreadable_not_as_missing(live_server):
    token = Token.objects.create(user=UserFactory()).key
    part = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="null"\r\n\r\n\r\n--b--\r\n'
    )
    request = (
        b"POST /api/investigations/bulk/ HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Token " + token.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + b"%x\r\n" % len(part) + part + b"\r\n0\r\n\r\n"
    )
    address = urlsplit(live_server.url)

    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b"".join(iter(lambda: connection.recv(65536), b""))

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411 ")
    assert json.loads(body)["detail"].startswith(
        "The request body was sent in chunks (Transfer-Encoding: chunked) without a "
        "Content-Length, so none of it could be read"
    )
    assert Investigation.objects.count() == 0


@pytest.mark.django_db
def test_a_bulk_list_of_500_with_bad_entries_collects_the_good_and_reports_each_bad(
    eager, fast_github, settings, django_capture_on_commit_callbacks
):
    settings.OSINT_DISPATCH_BATCH = 40
    settings.OSINT_DISPATCH_WINDOW = 80
    good = [f"github:{synthetic_login(n)}" for n in range(450)]
    malformed = [f"github:-bad-{n}" for n in range(20)] + [f"nonsense {n}" for n in range(5)]
    missing = [f"github:ghost-{n}" for n in range(25)]
    inputs = good[:200] + malformed + good[200:] + missing

    with django_capture_on_commit_callbacks(execute=True):
        investigation, _ = bulk_service.create_bulk_investigation(
            name="bulk", targets=inputs, mode="quick"
        )
    investigation.refresh_from_db()

    assert investigation.status == InvestigationStatus.PARTIAL
    statuses = dict(investigation.targets.values_list("value", "status").order_by())
    assert len(statuses) == 475
    assert sum(s == TargetStatus.SUCCEEDED for s in statuses.values()) == 450
    assert {statuses[f"ghost-{n}"] for n in range(25)} == {TargetStatus.NOT_FOUND}
    # Every good one collected: its account and its repository.
    accounts = set(investigation.entities.filter(kind="account").values_list("key", flat=True))
    assert {f"github:{synthetic_login(n)}" for n in range(450)} <= accounts
    assert investigation.entities.filter(kind="repository").count() == 450
    # Every bad one reported, with its reason.
    rejected = {r["input"]: r["error"] for r in investigation.rejected_targets}
    assert set(rejected) == set(malformed)
    assert "not a GitHub user login" in rejected["github:-bad-3"]
    for n in range(25):
        assert (
            f"github:ghost-{n}: not found: github: GitHub user 'ghost-{n}' not found on GitHub"
            in investigation.error_summary
        )
    assert "rejected nonsense 4:" in investigation.error_summary
    assert investigation.reports.count() == 2


@pytest.mark.django_db
def test_a_bulk_upload_through_the_api_is_queued_and_runs(
    eager, fast_github, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    upload = io.BytesIO(b"target\ngithub:nvie\ngithub:jacquev6\ngithub:-nope\n")
    upload.name = "targets.csv"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("investigation-bulk"),
            {"name": "upload", "file": upload, "fresh": "true"},
            format="multipart",
        )

    assert response.status_code == 202, response.data
    assert response.data["inputs"] == 3
    investigation = Investigation.objects.get(pk=response.data["investigation"]["id"])
    assert investigation.options == {"fresh": True, "bulk": True}
    assert investigation.status == InvestigationStatus.PARTIAL
    assert sorted(investigation.targets.values_list("value", flat=True)) == ["jacquev6", "nvie"]
    assert [r["input"] for r in investigation.rejected_targets] == ["github:-nope"]
    detail = client.get(reverse("investigation-detail", args=[investigation.pk])).data
    assert detail["collection"]["progress"]["per_target"] == {"done": 2, "failed": 0, "pending": 0}
    assert detail["collection"]["fresh"] is True


@pytest.mark.django_db
def test_a_bulk_list_with_no_valid_target_still_reaches_its_end(
    eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        investigation, _ = bulk_service.create_bulk_investigation(
            name="bad", targets=["nonsense", "github:-x"]
        )
    investigation.refresh_from_db()

    assert investigation.status == InvestigationStatus.FAILED
    assert investigation.error_summary.startswith("No valid targets to investigate.")
    assert len(investigation.rejected_targets) == 2


@pytest.mark.django_db
def test_a_second_delivery_of_the_bulk_task_adds_nothing(
    eager, fast_github, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        investigation, _ = bulk_service.create_bulk_investigation(
            name="twice", targets=["github:nvie"]
        )
    requests = len(fast_github.requests)

    result = bulk_scrape_task.apply(args=(investigation.pk, ["github:nvie", "github:x"])).get()

    assert result == {"state": "skipped"}
    assert investigation.targets.count() == 1
    assert len(fast_github.requests) == requests


def test_an_unterminated_quote_spoils_its_own_line_only_and_short_rows_are_reported():
    data = b'kind,value\nbluesky,a.bsky.social\n"unterminated,quote\ngithub,octocat\nlonely\n'

    targets = bulk_service.read_target_file(data, "list.csv")

    assert targets == ["bluesky:a.bsky.social", '"unterminated,quote', "github:octocat", "lonely"]


def test_a_nul_byte_is_kept_so_that_the_line_is_refused():
    from investigations.targets import parse_targets

    targets = bulk_service.read_target_file(b"domain:good.example\n\x00evil\x00.example\n")
    parsed, errors = parse_targets(targets)

    assert [str(t) for t in parsed] == ["domain:good.example"]
    assert "control or invisible" in errors[0][1]
