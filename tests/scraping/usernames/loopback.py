"""A small HTTP/1.1 server for the client's tests, on 127.0.0.1 in the test's own event
loop: it answers as each test tells it, records every request with the connection it came
on, counts the connections it accepts and those open at once, and can act as an HTTP
proxy's CONNECT tunnel to another loopback port."""

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

HOST = "127.0.0.1"
_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


@dataclass
class Seen:
    """One request as it arrived."""

    connection: int  # 1 for the first connection accepted, 2 for the next...
    port: int  # the port it arrived on
    head: bytes
    body: bytes

    @property
    def method(self) -> str:
        return self.head.split(b" ", 1)[0].decode("ascii")

    @property
    def target(self) -> bytes:
        return self.head.split(b" ", 2)[1]

    @property
    def headers(self) -> dict[str, bytes]:
        """Field values as they came, by lower-case name."""
        lines = self.head.split(b"\r\n")[1:]
        pairs = (line.partition(b":") for line in lines if line)
        return {name.strip().decode("ascii").lower(): value.strip() for name, _, value in pairs}


@dataclass
class Reply:
    data: bytes  # what to send; b"" with ``close``: the connection closes unanswered
    close: bool = False  # close the connection once ``data`` is sent


def ok(body: bytes = b"ok", *fields: str, head_only: bool = False) -> Reply:
    """200 with ``body`` and the connection kept open (HTTP/1.1's default)."""
    head = "".join(f"{field}\r\n" for field in fields)
    data = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
    return Reply(data if head_only else data + body)


def answer_ok(request: Seen) -> Reply:
    return ok(head_only=request.method == "HEAD")


class Loopback:
    """``answer(request)`` gives each request's ``Reply``; with ``tunnels``, a CONNECT
    request is answered with 200 and its connection joined to 127.0.0.1 at the port it
    names, whatever the host (a stand-in for an HTTP proxy that reaches the site)."""

    def __init__(
        self,
        answer: Callable[[Seen], Reply] = answer_ok,
        *,
        tunnels: bool = False,
        host: str = HOST,
        ports: int = 1,
    ):
        self.answer = answer
        self.tunnels = tunnels
        self.host = host
        self.port_count = ports
        self.requests: list[Seen] = []
        self.accepted = 0
        self.open = 0
        self.most_open = 0
        self.ports: list[int] = []
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task] = set()

    async def start(self) -> "Loopback":
        for _ in range(self.port_count):
            server = await asyncio.start_server(self._serve, self.host, 0)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        return self

    @property
    def arrivals(self) -> list[tuple[int, bytes]]:
        """Each request's connection number and target, in the order they came."""
        return [(request.connection, request.target) for request in self.requests]

    def url(self, scheme: str = "http", port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{port or self.ports[0]}"

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for server in self._servers:
            await server.wait_closed()
        # Each connection's handler ends on its own once its connection is closed; one
        # still running when the loop stops would be cancelled, and asyncio logs that.
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=1.0)

    async def __aenter__(self) -> "Loopback":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        number = self.accepted
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self._writers.add(writer)
        self._handlers.add(asyncio.current_task())
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n"))[:-4]
                length = _LENGTH.search(head)
                body = await reader.readexactly(int(length.group(1))) if length else b""
                request = Seen(number, port, head, body)
                self.requests.append(request)
                if self.tunnels and request.method == "CONNECT":
                    await self._tunnel(request, reader, writer)
                    return
                reply = self.answer(request)
                writer.write(reply.data)
                await writer.drain()
                if reply.close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client closed the connection
        finally:
            self.open -= 1
            self._writers.discard(writer)
            self._handlers.discard(asyncio.current_task())
            writer.close()

    async def _tunnel(self, request: Seen, reader, writer) -> None:
        port = int(request.target.rsplit(b":", 1)[1])
        site_reader, site_writer = await asyncio.open_connection(HOST, port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, site_writer), pipe(site_reader, writer))
