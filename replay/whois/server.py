"""A WHOIS server on loopback (TCP, the port-43 protocol of RFC 3912) answering with
the recorded texts in fixtures/samples.

A query is one line; the answer is the text, then the server closes the connection.
- ``domain NAME`` (the syntax Verisign's registry wants), ``-T dn,ace NAME`` (DENIC) and
  ``NAME/e`` (JPRS) are read as NAME;
- a bare TLD (``com``) is answered as whois.iana.org does, with a ``whois:`` line naming
  the registry's server (constructed from the fixture folders, see PROVENANCE.md);
- a registry query answers the registry's text; a plain query for a name that has a
  registrar answer (added by a test) answers that one, as the registrar's server would;
- an unknown name gets Verisign's "No match" text.
Tests add answers, rate-limit texts, delays and oversized answers through ``add``.
"""

import re
import socketserver
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
_DOMAIN_LINE = re.compile(r"^\s*domain(?:\s+name)?\s*[:.]+\s*(\S+\.\S+?)\.?\s*$", re.I | re.M)


@dataclass
class Entry:
    text: bytes
    delay: float = 0.0  # seconds before the answer is sent
    drip: float = 0.0  # seconds between 1 KB pieces of the answer


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


def load_samples() -> tuple[dict[str, str], dict[str, str]]:
    """Recorded texts by domain, and each TLD's registry server by the fixture folders."""
    texts: dict[str, str] = {}
    servers: dict[str, str] = {}
    for raw in sorted((SAMPLES / "richardpenman_whois" / "raw").iterdir()):
        texts.setdefault(raw.name.lower(), _read(raw))
    for folder in sorted(p for p in (SAMPLES / "mboot_whoisdomain").iterdir() if p.is_dir()):
        lines = _read(folder / "input").splitlines()
        while lines and lines[0].startswith("["):
            lines.pop(0)
        texts.setdefault(folder.name.lower(), "\n".join(lines) + "\n")
    weppos = SAMPLES / "weppos_whois_parser"
    for path in sorted(weppos.rglob("status_registered.txt")):
        host, tld = path.relative_to(weppos).parts[:2]
        servers.setdefault(tld, host)
        text = _read(path)
        named = _DOMAIN_LINE.search(text)
        if named:
            texts.setdefault(named.group(1).lower(), text)
    return texts, servers


def normalise_query(query: str) -> str:
    query = query.strip()
    for prefix in ("domain ", "-T dn,ace "):
        query = query.removeprefix(prefix)
    return query.removesuffix("/e").strip().lower().rstrip(".")


class WhoisReplay:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        texts, self.servers = load_samples()
        self.registry: dict[str, Entry] = {k: Entry(v.encode()) for k, v in texts.items()}
        self.registrar: dict[str, Entry] = {}
        self.queries: list[str] = []
        self._lock = threading.Lock()
        replay = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 5

            def handle(self) -> None:
                line = self.rfile.readline(1024).decode("utf-8", "replace")
                with replay._lock:
                    replay.queries.append(line.strip())
                entry = replay.answer(line)
                if entry.delay:
                    threading.Event().wait(entry.delay)
                for start in range(0, len(entry.text), 1024):
                    try:
                        self.wfile.write(entry.text[start : start + 1024])
                        self.wfile.flush()
                    except OSError:
                        return  # the client stopped reading
                    if entry.drip:
                        threading.Event().wait(entry.drip)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def add(
        self,
        domain: str,
        text: str | bytes,
        *,
        registrar: bool = False,
        delay: float = 0.0,
        drip: float = 0.0,
    ) -> None:
        """Answer ``domain`` with ``text``: as its registry, or as its registrar's server."""
        body = text.encode() if isinstance(text, str) else text
        table = self.registrar if registrar else self.registry
        with self._lock:
            table[domain.lower()] = Entry(body, delay, drip)

    def answer(self, line: str) -> Entry:
        raw = line.strip()
        name = normalise_query(raw)
        if name and "." not in name:
            return Entry(self._iana(name).encode())
        registry_syntax = raw.lower().startswith(("domain ", "-t "))
        with self._lock:
            if not registry_syntax and name in self.registrar:
                return self.registrar[name]
            entry = self.registry.get(name)
        if entry is None:
            return Entry(f'No match for "{name.upper()}".\r\n'.encode())
        return entry

    def _iana(self, tld: str) -> str:
        server = self.servers.get(tld, f"whois.nic.{tld}")
        return f"% IANA WHOIS server\n\ndomain:       {tld.upper()}\n\nwhois:        {server}\n"

    def start(self) -> "WhoisReplay":
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="WhoisReplay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "WhoisReplay":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
