"""HTTP/1.1 on the wire for the username checks: a request written out, an answer read in.

The checks ask hundreds of sites at once and read little of each answer, so the reading
is done here as bytes arrive (``AnswerReader.feed``), with no stream object or task per
answer: what a general client spends per request on those layers is what stretched a
run (see transport.py). What is read follows RFC 9112: the status line and header block,
interim 1xx answers skipped, a body framed by chunked transfer coding, by Content-Length
or by the end of the connection, and no body for HEAD, 204 and 304. A body in gzip or
deflate coding is decoded as it arrives. The body is kept up to a limit and the rest is
not read: the answer is then marked truncated and its connection is not reused.

Sites are hostile input: every malformed answer raises ``BadAnswer`` (a ValueError) with
what was wrong, header blocks and chunk lines are bounded, and header values are decoded
so that no byte sequence fails (UTF-8, undecodable bytes kept as escapes).
"""

import re
import zlib
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
MAX_CHUNK_LINE = 4 * 1024
# Interim answers (100 Continue, 103 Early Hints) a site may send before its answer.
MAX_INTERIM = 10

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: [^\r\n]*)?\r?")
_BREAKS = re.compile(r"[\r\n\x00]")
_CONTROLS_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
# Fields that frame the body: the client writes them itself, from the body it sends.
_FRAMING = {"content-length", "transfer-encoding"}
_DIGITS = re.compile(r"[0-9]{1,18}")
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]{1,16}")
# Deflate bytes kept until the first byte comes out, so that they can be read again as
# raw deflate data if they turn out not to be zlib data (a zlib header is two bytes).
_CODED_KEPT = 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Window bits for each content coding read: gzip, and deflate as RFC 9110 has it (zlib
# data) or as some servers send it (raw deflate data, tried when the zlib header is not).
_DECODED = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_RAW_DEFLATE = -zlib.MAX_WBITS


class BadAnswer(ValueError):
    """The site's answer broke HTTP/1.1 in a way no reading can mend."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case; repeated fields joined with ", "
    body: bytes
    truncated: bool
    reusable: bool = False  # the connection may carry another request


def header_lines(headers: dict[str, str]) -> bytes:
    """Header fields as they go on the wire, each line ended. Refuses a name or value
    that would change the request's shape (a line break in a value is how one request
    smuggles another)."""
    lines = []
    for name, value in headers.items():
        if name.lower() in _FRAMING:
            continue
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"not an HTTP header name: {name!r}")
        value = str(value)
        if _BREAKS.search(value):
            raise ValueError(f"the header {name} holds a line break")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("utf-8")


def request_bytes(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    fixed: bytes = b"",
) -> bytes:
    """A request's bytes; ``target`` is the path and query, or a whole address for a
    proxy; ``fixed`` is header lines made by ``header_lines`` beforehand (those every
    request of a run carries, made once)."""
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"not an HTTP method: {method!r}")
    if not target or _CONTROLS_OR_SPACE.search(target):
        raise ValueError("the request target holds a space, a tab or a control character")
    length = b"" if body is None else b"Content-Length: %d\r\n" % len(body)
    head = b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), target.encode("utf-8"))
    return b"".join((head, header_lines(headers), fixed, length, b"\r\n", body or b""))


def _headers(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = ""
    # One decoding for the block: names are ASCII, and a value's undecodable bytes stay
    # as escapes, so no answer fails here.
    for line in block.decode("utf-8", "surrogateescape").split("\n"):
        if line[:1] in (" ", "\t"):
            # An obsolete folded line continues the field before it.
            if not name:
                raise BadAnswer("the header block starts with a folded line")
            fields[name] += " " + line.strip()
            continue
        key, colon, value = line.partition(":")
        # Read leniently, as browsers do: a line with no name and colon is left out, and
        # space before the colon is dropped. Only the answer's shape is at stake here.
        name = key.strip().lower()
        if not colon or not name:
            name = ""
            continue
        value = value.strip()
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


def _content_length(value: str) -> int:
    # A field repeated with the same number is allowed; different numbers are not. Only
    # ASCII digits count (str.isdigit would take "٣" and "²").
    numbers = {part.strip() for part in value.split(",")}
    number = next(iter(numbers))
    if len(numbers) != 1 or not _DIGITS.fullmatch(number):
        raise BadAnswer(f"unreadable Content-Length: {value[:40]!r}")
    return int(number)


class AnswerReader:
    """Reads one answer from the bytes given to ``feed``; ``feed`` and ``end`` return
    the ``Answer`` once it is whole, else None.

    The bytes wait in one buffer read through an offset, and what was read is dropped
    once per ``feed``: a site sending thousands of tiny chunks or trickling a long head
    costs time in proportion to its bytes, never to their square (one site must not
    hold the loop that every other check runs on)."""

    def __init__(self, *, head_only: bool, limit: int):
        self._head_only = head_only  # a HEAD request: the answer has no body
        self._limit = limit
        self._buffer = bytearray()
        self._at = 0  # where reading the buffer has got to
        self._searched = 0  # the header block's end is not before this offset
        self._answer: Answer | None = None
        self._interim = 0
        self._framing = ""  # "length", "chunked" or "close", once the head is read
        self._left = 0  # bytes left of the body (length) or of the chunk (chunked)
        self._chunk_end = False  # a chunk's data was read; its line break is next
        self._trailers = -1  # bytes of trailer fields read, once the last chunk is
        self._body = bytearray()
        self._decoder = None
        # Deflate bytes fed before any came out, while all are kept (see _decode).
        self._coded: bytearray | None = bytearray()
        self._raw = False  # deflate read as raw deflate data
        self._coded_fed = 0
        self.started = False  # any byte of the answer arrived

    # -- input ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> Answer | None:
        if data:
            self.started = True
        self._buffer += data
        try:
            if self._answer is None and not self._read_head():
                return None
            return self._read_body()
        finally:
            if self._at:
                del self._buffer[: self._at]
                self._searched = max(0, self._searched - self._at)
                self._at = 0

    def end(self) -> Answer | None:
        """The connection was closed cleanly; the answer if that completes it."""
        if self._answer is None or self._framing != "close":
            return None
        return self._finish(reusable=False)

    # -- head -------------------------------------------------------------------------------

    def _read_head(self) -> bool:
        while True:
            # Go on from where the last search stopped (less the three bytes a split
            # "\r\n\r\n" may have left there).
            found = _HEAD_END.search(self._buffer, max(self._at, self._searched - 3))
            if found is None or found.start() - self._at > MAX_HEAD_BYTES:
                if len(self._buffer) - self._at > MAX_HEAD_BYTES:
                    raise BadAnswer(f"the header block is over {MAX_HEAD_BYTES} bytes")
                self._searched = len(self._buffer)
                return False
            block = bytes(self._buffer[self._at : found.start()])
            self._at = self._searched = found.end()
            line, _, fields = block.partition(b"\n")
            status = _STATUS_LINE.fullmatch(line)
            if status is None:
                raise BadAnswer(f"not an HTTP/1 status line: {line[:60]!r}")
            code, headers = int(status.group(2)), _headers(fields)
            if 100 <= code < 200 and code != 101:
                self._interim += 1
                if self._interim > MAX_INTERIM:
                    raise BadAnswer(f"more than {MAX_INTERIM} interim answers")
                continue
            self._start_body(code, status.group(1) == b"1", headers)
            return True

    def _start_body(self, code: int, http11: bool, headers: dict[str, str]) -> None:
        connection = {t.strip() for t in headers.get("connection", "").lower().split(",")}
        keep_alive = "keep-alive" in connection if not http11 else "close" not in connection
        self._answer = Answer(code, headers, b"", truncated=False, reusable=keep_alive)
        codings = [c.strip() for c in headers.get("transfer-encoding", "").lower().split(",")]
        if code == 101:
            self._answer.reusable = False  # the connection left HTTP; no upgrade is asked
        if self._head_only or code in (101, 204, 304):
            self._framing, self._left = "length", 0
        elif codings != [""]:
            # Chunked must be the last coding; otherwise the body runs to the end. An
            # answer framed two ways, or chunked in HTTP/1.0, may be read otherwise by
            # something between us and the site: its connection is not used again.
            self._framing = "chunked" if codings[-1] == "chunked" else "close"
            if "content-length" in headers or not http11:
                self._answer.reusable = False
        elif "content-length" in headers:
            self._framing, self._left = "length", _content_length(headers["content-length"])
        else:
            self._framing = "close"
        coding = headers.get("content-encoding", "").strip().lower()
        if coding in _DECODED:
            self._decoder = zlib.decompressobj(_DECODED[coding])

    # -- body -------------------------------------------------------------------------------

    def _take(self, size: int) -> bytearray:
        taken = self._buffer[self._at : self._at + size]  # one copy, not bytes() of it too
        self._at += len(taken)
        return taken

    def _read_body(self) -> Answer | None:
        if self._framing == "length":
            taken = self._take(self._left)
            self._left -= len(taken)
            if self._keep(taken) or self._left == 0:
                return self._finish(reusable=self._answer.reusable and self._left == 0)
            return None
        if self._framing == "close":
            taken = self._take(len(self._buffer) - self._at)
            return self._finish(reusable=False) if self._keep(taken) else None
        return self._read_chunks()

    def _read_chunks(self) -> Answer | None:
        while True:
            if self._left:
                taken = self._take(self._left)
                self._left -= len(taken)
                if self._keep(taken):
                    return self._finish(reusable=False)
                if self._left:
                    return None
                self._chunk_end = True
            line = self._line()
            if line is None:
                return None
            if self._chunk_end:
                if line:
                    raise BadAnswer("a chunk is longer than its size line says")
                self._chunk_end = False
            elif self._trailers >= 0:
                if not line:
                    return self._finish(reusable=self._answer.reusable)
                self._trailers += len(line) + 2
                if self._trailers > MAX_HEAD_BYTES:
                    raise BadAnswer(f"the trailer fields are over {MAX_HEAD_BYTES} bytes")
            else:
                size = line.split(b";", 1)[0].strip(b" \t")
                if not _HEX_DIGITS.fullmatch(size):
                    raise BadAnswer(f"unreadable chunk size: {size[:20]!r}")
                self._left = int(size, 16)
                if self._left == 0:
                    self._trailers = 0

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\n", self._at, self._at + MAX_CHUNK_LINE)
        if end < 0:
            if len(self._buffer) - self._at >= MAX_CHUNK_LINE:
                raise BadAnswer(f"a chunk line is over {MAX_CHUNK_LINE} bytes")
            return None
        line = bytes(self._buffer[self._at : end])
        self._at = end + 1
        return line.rstrip(b"\r")

    def _keep(self, data: bytes | bytearray) -> bool:
        """Keep body bytes, decoded; True once the body is over the limit."""
        if self._decoder is not None and data:
            self._coded_fed += len(data)
            data = self._decode(data)
        if data:
            self._body += data
        return len(self._body) > self._limit

    def _decode(self, data: bytes | bytearray) -> bytes:
        room = self._limit - len(self._body) + 1
        deflate = self._coding() == "deflate" and not self._raw
        if deflate and self._coded is not None:
            if len(self._coded) < _CODED_KEPT and not self._body:
                self._coded += data
            else:
                self._coded = None  # no longer every byte fed: no reading them again
        try:
            return self._decoder.decompress(data, room)
        except zlib.error as exc:
            if deflate and self._coded is not None:
                # Not zlib data: read everything fed so far again as raw deflate data.
                self._raw = True
                self._decoder = zlib.decompressobj(_RAW_DEFLATE)
                try:
                    return self._decoder.decompress(bytes(self._coded), room)
                except zlib.error:
                    pass
            raise BadAnswer(f"the body's {self._coding()} coding is broken: {exc}") from None

    def _coding(self) -> str:
        return self._answer.headers.get("content-encoding", "").strip().lower()

    def _finish(self, *, reusable: bool) -> Answer:
        answer = self._answer
        truncated = len(self._body) > self._limit
        if self._decoder is not None and not truncated:
            try:
                rest = self._decoder.flush()
            except zlib.error as exc:
                raise BadAnswer(f"the body's {self._coding()} coding is broken: {exc}") from None
            self._body += rest
            truncated = len(self._body) > self._limit
            if not truncated and self._coded_fed and not self._decoder.eof:
                # A coded body that stops before its coding's end is a page cut short,
                # whatever it shows so far.
                raise BadAnswer(f"the body's {self._coding()} coding stops before its end")
        with memoryview(self._body) as kept:
            answer.body = bytes(kept[: self._limit])
        answer.truncated = truncated
        # Bytes after a whole answer that nobody asked for make the connection unsafe.
        answer.reusable = reusable and not truncated and self._at == len(self._buffer)
        return answer
