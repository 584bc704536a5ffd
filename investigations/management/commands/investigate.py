"""Run one investigation to its end from the command line.

    python manage.py investigate github:octocat github-repo:octocat/hello-world --json

Exit status: 0 when the investigation completed, 1 when it ended otherwise (partial,
failed, cancelled or timed out), 2 for bad arguments, targets or files, 3 when no worker
answers.

Every line printed that holds text from outside (an upstream error, a name, an input)
shows its control characters as escapes (``\x1b``), so an answer cannot drive the
terminal or forge a line; the JSON document is escaped by its encoder and the same way.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from investigations import celery_control
from investigations.models import TERMINAL_STATUSES, AnalysisMode, Investigation
from investigations.selectors import investigation_document
from investigations.services import bulk as bulk_service
from investigations.services import investigations as investigation_service
from investigations.services.investigations import InvestigationError
from investigations.targets import ParsedTarget, parse_targets
from investigations.terminal import json_terminal_safe, terminal_safe

EXIT_NOT_COMPLETED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_WORKER = 3
WORKER_START_TIMEOUT = 90
# Characters of a target's error shown in the summary; --json has them all.
ERROR_SHOWN = 300


def timeout_seconds(text: str) -> float:
    """--timeout: a number of seconds above zero. Zero or less would cancel the run as
    soon as it was created, and nan or inf would never time out at all."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above zero; give one such as 600."
        )
    return seconds


def default_name(targets: list[ParsedTarget]) -> str:
    return ", ".join(str(target) for target in targets)[:200]


class Command(BaseCommand):
    help = "Investigate targets (kind:value) to the end and print the result."

    def add_arguments(self, parser):
        parser.add_argument(
            "targets", nargs="*", metavar="TARGET", help="kind:value, e.g. github:octocat"
        )
        parser.add_argument(
            "--file",
            help="Read more targets from this text (one a line) or CSV file ('-' for stdin); "
            "the list runs as a bulk investigation, in bounded batches.",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Ask every source again instead of using cached answers.",
        )
        parser.add_argument("--mode", choices=AnalysisMode.values, default=AnalysisMode.QUICK)
        parser.add_argument("--name", help="Name of the investigation (default: the targets).")
        parser.add_argument(
            "--json", action="store_true", help="Print the result as one JSON document."
        )
        parser.add_argument(
            "--with-worker", action="store_true", help="Start a Celery worker for this run."
        )
        parser.add_argument(
            "--timeout",
            type=timeout_seconds,
            default=3600.0,
            help="Seconds to wait for the end (above zero); then the run is cancelled.",
        )

    def handle(self, *args, **options):
        self.as_json = options["json"]
        texts = list(options["targets"]) + self._read_file(options.get("file"))
        if not texts:
            raise CommandError(
                "Give at least one target, e.g. github:octocat", returncode=EXIT_BAD_INPUT
            )
        parsed, errors = parse_targets(texts)
        for text, error in errors:
            self._say(f"Refused {text}: {error}", error=True)
        # Named after what is investigated: never after refused input, which may hold
        # control characters or bytes that are not text.
        options["name"] = terminal_safe(options.get("name") or default_name(parsed))
        if not parsed:
            raise CommandError("No valid target to investigate.", returncode=EXIT_BAD_INPUT)

        try:
            reachable = celery_control.broker_reachable()
        except ImportError as exc:
            raise CommandError(
                f"The task broker's transport for {self._broker()} cannot be loaded: {exc}. "
                "Install the packages in requirements.txt.",
                returncode=EXIT_NO_WORKER,
            ) from exc
        if not reachable:
            raise CommandError(
                f"The task broker at {self._broker()} does not answer; start it or set "
                "CELERY_BROKER_URL.",
                returncode=EXIT_NO_WORKER,
            )
        worker = self._start_worker() if options["with_worker"] else None
        try:
            if worker is None and not celery_control.ping_workers(timeout=3.0):
                raise CommandError(
                    f"No Celery worker answered on {self._broker()}. Start one with "
                    "'celery -A osint_platform worker -Q investigations,scraping,analysis,reports,maintenance' "
                    "or pass --with-worker.",
                    returncode=EXIT_NO_WORKER,
                )
            investigation = self._run(texts, options)
        finally:
            if worker is not None:
                self._stop_worker(worker)
        self._report(investigation)
        if investigation.status != "completed":
            sys.exit(EXIT_NOT_COMPLETED)

    def _read_file(self, path: str | None) -> list[str]:
        """The targets of a file or of stdin ('-'), as bytes decoded leniently (bad UTF-8
        becomes U+FFFD and the target holding it is refused, not the run)."""
        if not path:
            return []
        shown = terminal_safe(path)
        # One byte more than a list may hold tells a file too large from one that fits,
        # without reading an endless one (a device, a pipe that never closes).
        most = bulk_service.max_file_bytes() + 1
        try:
            if path == "-":
                data = sys.stdin.buffer.read(most)
            else:
                with open(path, "rb") as handle:
                    data = handle.read(most)
            return bulk_service.read_target_file(data, path)
        except IsADirectoryError as exc:
            raise CommandError(
                f"--file {shown} is a directory; give a text or CSV file of targets.",
                returncode=EXIT_BAD_INPUT,
            ) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"--file {shown}: no such file.", returncode=EXIT_BAD_INPUT) from exc
        except OSError as exc:
            raise CommandError(
                f"--file {shown} cannot be read: {terminal_safe(exc.strerror or exc)}.",
                returncode=EXIT_BAD_INPUT,
            ) from exc
        except InvestigationError as exc:
            raise CommandError(f"{shown}: {exc}", returncode=EXIT_BAD_INPUT) from exc

    def _say(self, message: str, *, error: bool = False) -> None:
        # With --json, stdout carries the document only; everything else goes to stderr.
        stream = self.stderr if (self.as_json or error) else self.stdout
        stream.write(terminal_safe(message))

    @staticmethod
    def _broker() -> str:
        url = settings.CELERY_BROKER_URL
        return url.split("@")[-1] if "@" in url else url  # never print a password

    def _run(self, texts: list[str], options) -> Investigation:
        name = options["name"]
        run_options = {"fresh": True} if options["fresh"] else {}
        if options.get("file"):
            investigation, _ = bulk_service.create_bulk_investigation(
                name=name, targets=texts, mode=options["mode"], options=run_options
            )
            self._say(f"Bulk investigation #{investigation.pk} queued with {len(texts)} inputs")
        else:
            investigation = investigation_service.create_investigation(
                name=name, targets=texts, mode=options["mode"], options=run_options
            )
            investigation_service.start_investigation(investigation.pk)
            self._say(
                f"Investigation #{investigation.pk} queued with "
                f"{investigation.targets.count()} targets"
            )

        deadline = time.monotonic() + options["timeout"]
        last = None
        try:
            while True:
                investigation.refresh_from_db()
                state = (investigation.status, investigation.progress)
                if state != last:
                    self._say(f"  {investigation.status} {investigation.progress}%")
                    last = state
                if investigation.status in TERMINAL_STATUSES:
                    return investigation
                if time.monotonic() > deadline:
                    self._say(f"Timed out after {options['timeout']:.0f} s; cancelling", error=True)
                    return investigation_service.cancel_investigation(investigation.pk)
                time.sleep(0.5)
        except KeyboardInterrupt:
            self._say("Interrupted; cancelling the investigation", error=True)
            return investigation_service.cancel_investigation(investigation.pk)

    def _start_worker(self) -> subprocess.Popen:
        log_dir = Path(settings.VAR_DIR) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"worker-{os.getpid()}.log"
        command = celery_control.worker_command(
            f"investigate-{os.getpid()}@%h", settings.OSINT_QUEUES
        )
        self._say(f"Starting a worker (log: {log_path})")
        with open(log_path, "ab") as log:
            worker = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
            )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise CommandError(
                    f"The worker exited at start (code {worker.returncode}); see {log_path}"
                )
            if celery_control.ping_workers(timeout=1.0):
                return worker
        self._stop_worker(worker)
        raise CommandError(
            f"The worker did not answer within {WORKER_START_TIMEOUT} s; see {log_path}",
            returncode=EXIT_NO_WORKER,
        )

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def _report(self, investigation: Investigation) -> None:
        document = investigation_document(investigation)
        reports = {r.format: r.path for r in investigation.reports.all()}
        document["reports"] = reports
        if self.as_json:
            text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
            self.stdout.write(json_terminal_safe(text))
            return
        lines = [f"Investigation #{investigation.pk}: {investigation.status}"]
        for row in document["targets"]:
            line = f"  {row.get('shown_as') or row['target']}: {row['status']}"
            if error := row["error"]:
                line += f" ({error[:ERROR_SHOWN]}{'…' if len(error) > ERROR_SHOWN else ''})"
            lines.append(line)
        counts: dict[str, int] = {}
        for entity in document["entities"]:
            counts[entity["kind"]] = counts.get(entity["kind"], 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing"
        lines.append(f"Collected: {summary}; {len(document['relationships'])} relationships")
        lines += [f"  problem: {line}" for line in document["errors"]]
        lines += [f"Report ({fmt}): {path}" for fmt, path in sorted(reports.items())]
        for line in lines:
            self.stdout.write(terminal_safe(line))
