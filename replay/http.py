"""A small threaded HTTP server on loopback that replay servers build on."""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Reply:
    def __init__(
        self,
        status: int,
        body: bytes | str | Any = b"",
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
    ):
        if isinstance(body, bytes):
            self.body = body
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
        else:
            self.body = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.status = status
        self.headers = dict(headers or {})
        self.delay = delay
        # Seconds between 1 KB pieces of the body: a slow answer that keeps arriving.
        self.chunk_delay = chunk_delay
        # Close the connection without answering, as a host with no such service does.
        self.drop = False


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.raw_query = parts.query
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.received_at = time.time()


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (the product cutting off an oversized body, as
    it should) is no fault of the server's: no traceback for it. Anything else is one."""

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


class ReplayServer:
    """Subclasses answer ``handle(request) -> Reply``. Every request is logged in
    ``requests`` so tests can check what the product asked for."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle's algorithm on, the
            # body then waits for the client's delayed ACK (about 40 ms a request).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                request = Request(self)
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                with server._lock:
                    server.requests.append(request)
                reply = server.handle(request)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.delay:
                    threading.Event().wait(reply.delay)
                header_list = [*reply.headers.items(), *getattr(reply, "header_list", [])]
                if any(name.lower() == "server" for name, _ in header_list):
                    # The reply names its own server: send it instead of BaseHTTP's.
                    self.send_response_only(reply.status)
                    self.send_header("Date", self.date_time_string())
                else:
                    self.send_response(reply.status)
                for name, value in header_list:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if not reply.chunk_delay:
                    self.wfile.write(reply.body)
                    return
                for start in range(0, len(reply.body), 1024):
                    try:
                        self.wfile.write(reply.body[start : start + 1024])
                        self.wfile.flush()
                    except OSError:
                        return  # the client stopped reading
                    threading.Event().wait(reply.chunk_delay)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.httpd = _QuietServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, request: Request) -> Reply:  # pragma: no cover - subclasses answer
        raise NotImplementedError

    def start(self) -> "ReplayServer":
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
