"""Many DNS questions at once: raw UDP with a window of questions in flight.

A subdomain brute force asks thousands of questions whose answers are nearly all
NXDOMAIN. Asking them one after the other waits a round trip each; here up to
``concurrency`` questions are in flight on one non-blocking socket per resolver, spread
over the resolvers in turn, and answers are matched to questions as they arrive.

The hot path stays small because most answers are negative: a query is a few packed
bytes, and a negative answer is read from its 12-byte header once its question section
is checked against the one sent (an answer to another question, or a forged one, is
dropped). Only answers with records go through dnspython's full parser. Lost answers are
asked again on the next resolver after ``timeout``; SERVFAIL and REFUSED are asked again
too, and reported when every attempt gave them. Memory does not grow with the list:
names are read from an iterator and results are yielded as they come.
"""

import logging
import random
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

from .resolver import EDNS_PAYLOAD, Outcome, message_text

logger = logging.getLogger(__name__)

_QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
_HEADER = struct.Struct("!HHHHHH")
_RD = 0x0100
_QR, _TC = 0x8000, 0x0200
# An OPT record (RFC 6891): root owner, type 41, our UDP payload size, no flags.
_OPT = struct.pack("!BHHIH", 0, 41, EDNS_PAYLOAD, 0, 0)
_RECV_SIZE = 65535
_RCODE_OUTCOMES = {3: Outcome.NXDOMAIN, 2: Outcome.SERVFAIL, 5: Outcome.REFUSED}


def encode_name(name: str) -> bytes:
    """A host name (ASCII) in wire form; ``ValueError`` when it cannot be one."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) <= 63:
            raise ValueError(f"bad label in {name!r}")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > 255:
        raise ValueError(f"{name!r} is too long")
    return bytes(out.lower())


@dataclass(slots=True)
class BulkResult:
    name: str
    rdtype: str
    outcome: Outcome
    server: str
    values: list[str] = field(default_factory=list)  # addresses, or names for PTR
    cnames: list[str] = field(default_factory=list)
    text: str = ""  # the answer as a resolver prints it, for answers with records


@dataclass(slots=True)
class _Question:
    name: str
    question: bytes  # the question section sent: name, type, class
    attempts: int = 0
    server: int = 0


class BulkResolver:
    def __init__(
        self,
        servers: list[tuple[str, int]],
        *,
        concurrency: int = 200,
        timeout: float = 1.5,
        attempts: int = 3,
    ):
        if not servers:
            raise ValueError("No DNS resolver to ask")
        self.servers = servers
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.sent = 0  # questions sent, retries included

    def resolve(self, names: Iterable[str], rdtype: str = "A") -> Iterator[BulkResult]:
        """One result per name, in the order answers come back."""
        qtype = _QTYPES[rdtype]
        tail = struct.pack("!HH", qtype, 1)
        sockets = [self._socket(host, port) for host, port in self.servers]
        selector = selectors.DefaultSelector()
        for index, sock in enumerate(sockets):
            selector.register(sock, selectors.EVENT_READ, index)
        pending: dict[int, _Question] = {}
        timers: deque[tuple[float, int, _Question]] = deque()
        retries: deque[_Question] = deque()
        source = iter(names)
        exhausted = False
        turn = 0
        try:
            while True:
                # Fill the window: questions to ask again first, then new names.
                while len(pending) < self.concurrency:
                    if retries:
                        question = retries.popleft()
                    elif exhausted:
                        break
                    else:
                        name = next(source, None)
                        if name is None:
                            exhausted = True
                            continue
                        try:
                            question = _Question(name, encode_name(name) + tail)
                        except (ValueError, UnicodeEncodeError):
                            yield BulkResult(name, rdtype, Outcome.ERROR, "")
                            continue
                        question.server, turn = turn, (turn + 1) % len(sockets)
                    if not self._send(sockets, question, pending, timers):
                        retries.appendleft(question)
                        break
                if not pending:
                    if retries:
                        time.sleep(0.001)  # every socket's buffer was full
                        continue
                    return

                wait = max(0.0, timers[0][0] - time.monotonic()) if timers else self.timeout
                for key, _ in selector.select(wait):
                    yield from self._receive(key.fileobj, key.data, rdtype, pending, retries)
                yield from self._expire(rdtype, pending, timers, retries)
        finally:
            selector.close()
            for sock in sockets:
                sock.close()

    # -- inner steps -------------------------------------------------------------------

    @staticmethod
    def _socket(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * 1024 * 1024)
        # Connected: the kernel drops datagrams from any other address for us.
        sock.connect((host, port))
        sock.setblocking(False)
        return sock

    def _send(self, sockets, question: _Question, pending, timers) -> bool:
        qid = random.getrandbits(16)
        while qid in pending:
            qid = random.getrandbits(16)
        packet = _HEADER.pack(qid, _RD, 1, 0, 0, 1) + question.question + _OPT
        try:
            sockets[question.server].send(packet)
        except BlockingIOError:
            return False
        except OSError:
            pass  # an earlier ICMP error on this socket; the timer retries the question
        pending[qid] = question
        timers.append((time.monotonic() + self.timeout, qid, question))
        self.sent += 1
        return True

    def _receive(self, sock, index: int, rdtype: str, pending, retries) -> Iterator[BulkResult]:
        while True:
            try:
                data = sock.recv(_RECV_SIZE)
            except BlockingIOError:
                return
            except OSError:
                return  # ICMP "port unreachable": the timers retry elsewhere
            if len(data) < 12:
                continue
            qid, flags, _, ancount, _, _ = _HEADER.unpack_from(data)
            question = pending.get(qid)
            if question is None or not flags & _QR:
                continue  # late, duplicate or not an answer
            sent = question.question
            if data[12 : 12 + len(sent)].lower() != sent:
                continue  # an answer to another question
            del pending[qid]
            result = self._read(data, flags, ancount, question, rdtype, index)
            if result is None:
                question.attempts += 1
                if question.attempts < self.attempts:
                    question.server = (question.server + 1) % len(self.servers)
                    retries.append(question)
                    continue
                outcome = _RCODE_OUTCOMES.get(flags & 0xF, Outcome.ERROR)
                result = BulkResult(question.name, rdtype, outcome, self._label(index))
            yield result

    def _read(self, data, flags, ancount, question, rdtype, index) -> BulkResult | None:
        """The result of one answer, or None when it is worth asking again."""
        rcode = flags & 0xF
        server = self._label(index)
        if rcode == 3:
            return BulkResult(question.name, rdtype, Outcome.NXDOMAIN, server)
        if rcode in (2, 5):
            return None
        if rcode != 0:
            return BulkResult(question.name, rdtype, Outcome.ERROR, server)
        if flags & _TC:
            return self._over_tcp(question, rdtype, index)
        if ancount == 0:
            return BulkResult(question.name, rdtype, Outcome.NO_ANSWER, server)
        try:
            message = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return BulkResult(question.name, rdtype, Outcome.ERROR, server)
        return _from_message(question.name, rdtype, message, server)

    def _over_tcp(self, question: _Question, rdtype: str, index: int) -> BulkResult:
        """An answer too large for UDP: asked again over TCP, once, here."""
        host, port = self.servers[index]
        query = dns.message.make_query(question.name + ".", rdtype, use_edns=0)
        try:
            message = dns.query.tcp(query, host, port=port, timeout=self.timeout)
        except (dns.exception.DNSException, OSError):
            return BulkResult(question.name, rdtype, Outcome.TIMEOUT, self._label(index))
        return _from_message(question.name, rdtype, message, self._label(index))

    def _expire(self, rdtype: str, pending, timers, retries) -> Iterator[BulkResult]:
        now = time.monotonic()
        while timers:
            deadline, qid, question = timers[0]
            if pending.get(qid) is not question:
                timers.popleft()  # answered already: dropped now, so memory stays flat
                continue
            if deadline > now:
                return
            timers.popleft()
            del pending[qid]
            question.attempts += 1
            if question.attempts < self.attempts:
                question.server = (question.server + 1) % len(self.servers)
                retries.append(question)
            else:
                server = self._label(question.server)
                yield BulkResult(question.name, rdtype, Outcome.TIMEOUT, server)

    def _label(self, index: int) -> str:
        host, port = self.servers[index]
        return f"{host}:{port}"


def _from_message(name: str, rdtype: str, message: dns.message.Message, server: str):
    qtype = dns.rdatatype.from_text(rdtype)
    values, cnames = [], []
    for rrset in message.answer:
        if rrset.rdtype == qtype:
            values.extend(rdata.to_text().rstrip(".") for rdata in rrset)
        elif rrset.rdtype == dns.rdatatype.CNAME:
            cnames.extend(rdata.target.to_text().rstrip(".") for rdata in rrset)
    if message.rcode() == 3:
        outcome = Outcome.NXDOMAIN
    else:
        outcome = Outcome.ANSWER if values else Outcome.NO_ANSWER
    return BulkResult(name, rdtype, outcome, server, values, cnames, message_text(message))
