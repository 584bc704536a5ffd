"""manage.py investigate: clear refusals with exit 2, lenient reading of files and stdin,
and nothing from outside that can drive the terminal it prints on."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from investigations import celery_control
from investigations.models import Investigation
from replay.http import Reply

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\rDone: completed\nforged line \x9b31m"


def run_command(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """The command in a process of its own, as an analyst runs it (bytes out)."""
    return subprocess.run(
        [sys.executable, "manage.py", "investigate", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        input=stdin,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def worker_answers(monkeypatch, eager_celery):
    """Tasks run in this process as they are sent; the ping a worker would answer, too."""
    monkeypatch.setattr(celery_control, "ping_workers", lambda timeout=0: ["test@here"])


def investigate(*args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the command run in this process."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("investigate", *args, stdout=out, stderr=err)
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nonexistent/targets.txt", "--file /nonexistent/targets.txt: no such file."),
        ("/tmp", "--file /tmp is a directory; give a text or CSV file of targets."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_exit_2_and_no_traceback(path, message):
    done = run_command("--file", path)

    assert done.returncode == 2
    assert done.stderr.decode() == f"CommandError: {message}\n"


@pytest.mark.parametrize("timeout", ["-5", "0", "nan", "inf", "-inf", "soon"])
def test_a_timeout_that_is_not_seconds_above_zero_is_a_bad_argument(timeout):
    done = run_command("github:nvie", f"--timeout={timeout}")

    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[-1] == (
        f"manage.py investigate: error: argument --timeout: '{timeout}' is not a number of "
        "seconds above zero; give one such as 600."
    )


def test_a_bad_timeout_creates_no_investigation(db):
    with pytest.raises(CommandError, match="argument --timeout: '-5' is not a number"):
        call_command("investigate", "github:nvie", "--timeout", "-5")

    assert Investigation.objects.count() == 0


def test_invalid_utf8_and_a_bom_on_stdin_are_read_not_a_crash(db):
    done = run_command(
        "--file", "-", stdin=b"\xef\xbb\xbfgithub:-\xff\xfe\n#comment\nusername:caf\xe9\n"
    )

    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "Refused github:-\ufffd\ufffd: 'github:-\ufffd\ufffd' holds bytes that are not valid "
        "text (shown as U+FFFD); save the list as UTF-8 and give it again.",
        "Refused username:caf\ufffd: 'username:caf\ufffd' holds bytes that are not valid text "
        "(shown as U+FFFD); save the list as UTF-8 and give it again.",
        "CommandError: No valid target to investigate.",
    ]


def test_a_file_path_with_control_characters_is_shown_escaped(db):
    done = run_command("--file", "/nonexistent/\x1b]0;x\x07")

    assert done.returncode == 2
    assert b"\x1b" not in done.stderr and b"\x07" not in done.stderr
    assert "/nonexistent/\\x1b]0;x\\x07: no such file." in done.stderr.decode()


def test_the_default_name_is_made_of_the_accepted_targets_only(
    transactional_db, github_replay, worker_answers
):
    # An argument that is not UTF-8 reaches Python as lone surrogates.
    code, out, err = investigate("github:nvie", "github:\udcff\x1b[2J")

    assert code == 1, out  # partial: one input was refused
    assert Investigation.objects.get().name == "github:nvie"
    assert (
        "Refused github:\\udcff\\x1b[2J: 'github:\\udcff\\x1b[2J' contains control or "
        "invisible characters."
    ) in err.splitlines()


def test_a_refused_input_shows_its_control_characters_as_escapes(db):
    done = run_command("username:evil\x1b[31mred")

    assert done.returncode == 2
    assert b"\x1b" not in done.stderr
    assert done.stderr.decode().splitlines()[0] == (
        "Refused username:evil\\x1b[31mred: 'username:evil\\x1b[31mred' contains control or "
        "invisible characters."
    )


def test_a_leading_bom_in_a_file_is_not_taken_for_a_control_character(
    transactional_db, github_replay, worker_answers, tmp_path
):
    listing = tmp_path / "targets.txt"
    listing.write_bytes("\ufeffgithub:nvie\n".encode())

    code, out, err = investigate("--file", str(listing))

    assert code == 0, err
    assert "Refused" not in err
    assert "  github:nvie: succeeded" in out.splitlines()


def test_upstream_text_cannot_drive_the_terminal_or_forge_a_line(
    transactional_db, github_replay, worker_answers
):
    github_replay.queue("/users/mallory", Reply(422, {"message": HOSTILE}))

    code, out, _ = investigate("github:mallory", "--name", "Case \x1b[31mred\x07")

    assert code == 1
    assert not any(ch in out for ch in "\x1b\x07\r\x9b")
    line = next(line for line in out.splitlines() if line.startswith("  github:mallory:"))
    # Errors are stored with their control characters already written as escapes.
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\rDone: completed\\nforged line \\x9b31m" in line
    assert not any(line.startswith("forged line") for line in out.splitlines())
    assert Investigation.objects.get().name == "Case \\x1b[31mred\\x07"


def test_the_json_document_keeps_upstream_text_whole_and_escaped(
    transactional_db, github_replay, worker_answers
):
    import json

    github_replay.queue("/users/mallory", Reply(422, {"message": HOSTILE}))

    code, out, _ = investigate("github:mallory", "--json")

    assert code == 1
    assert not any(ch in out for ch in "\x1b\x07\r\x9b")
    document = json.loads(out)
    # Stored already escaped (one printable line), and the JSON keeps that text whole.
    assert HOSTILE.encode("unicode_escape").decode("ascii") in document["targets"][0]["error"]


def test_targets_are_printed_as_analysts_read_them(transactional_db, domain_world, worker_answers):
    """Stored as the A-label, shown as the name: the page, the report and the command."""
    code, out, _ = investigate("domain:Küche.de")

    assert code == 0
    assert any(line.startswith("  domain:küche.de: ") for line in out.splitlines())
    assert "xn--kche-0ra" not in out


def test_a_broker_transport_that_cannot_be_loaded_is_named_not_taken_for_a_silent_broker(
    db, monkeypatch
):
    """Without kombu's Redis extra the transport fails to import; that was once reported
    as a broker that does not answer, with Redis up and well."""

    class Unloadable:
        def __enter__(self):
            raise ModuleNotFoundError("No module named 'packaging'")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(celery_control.current_app, "connection_for_write", Unloadable)

    with pytest.raises(CommandError, match="cannot be loaded: No module named 'packaging'"):
        call_command("investigate", "github:nvie")
    assert Investigation.objects.count() == 0
