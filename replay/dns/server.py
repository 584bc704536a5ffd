"""A DNS server on loopback that answers like a recursive resolver would for the zones in
``zones/``: UDP and TCP on one port, built on dnspython's zone and message code.

What it does as real servers do:
- answers from master-file zones: exact names, CNAME chains (followed across zones),
  wildcards (``*.``) synthesised for names that do not exist, empty non-terminals
  answered as "no data", NXDOMAIN with the zone's SOA otherwise;
- answers too large for the client's UDP size are truncated (TC), so the client asks
  again over TCP;
- a zone marked ``signed`` is signed at start-up with a key made then; with the DO bit
  the answer carries its RRSIGs and the AD flag, as a validating resolver's would, and
  its DS is answered at the apex as the parent zone would;
- AXFR over TCP for a zone marked ``allow_transfer``, REFUSED for the others;
- a zone's ``behaviour`` can be ``servfail`` (every answer SERVFAIL) or ``drop`` (no
  answer at all, so clients time out); names outside every zone are REFUSED.

It is a stand-in for the resolvers and name servers of the real Internet, not one of
them: delegations inside a zone are answered as if this server were authoritative below
them, and the recursion flag is honoured by answering, never by asking another server.
"""

import io
import json
import logging
import socket
import socketserver
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

logger = logging.getLogger(__name__)

ZONES = Path(__file__).resolve().parent / "zones"
MAX_CHAIN = 8
# Records per message in a zone transfer; a small number shows a transfer in several parts.
TRANSFER_CHUNK = 20


@dataclass
class ServedZone:
    origin: dns.name.Name
    zone: dns.zone.Zone
    allow_transfer: bool = False
    behaviour: str = "answer"  # "answer", "servfail" or "drop"
    signed: bool = False
    ds: dns.rrset.RRset | None = None
    names: set[dns.name.Name] = field(default_factory=set)  # every name and its ancestors
    # The same facts as label tuples (lower case, no root), for the negative fast path.
    labels: tuple[bytes, ...] = ()
    types: dict[tuple[bytes, ...], set[int]] = field(default_factory=dict)
    soa_rrset: dns.rrset.RRset | None = None
    soa_wire: bytes = b""

    def soa(self) -> dns.rrset.RRset:
        return self.soa_rrset

    def index(self) -> None:
        """Precompute what every answer needs: the names, their types, the SOA."""
        for name in self.zone.nodes:
            while name != self.origin and name.is_subdomain(self.origin):
                self.names.add(name)
                name = name.parent()
        self.names.add(self.origin)
        self.labels = _key(self.origin)
        for name in self.names:
            node = self.zone.get_node(name)
            self.types[_key(name)] = {r.rdtype for r in node.rdatasets} if node else set()
        rdataset = self.zone.find_rdataset(self.origin, dns.rdatatype.SOA)
        self.soa_rrset = dns.rrset.RRset(self.origin, dns.rdataclass.IN, dns.rdatatype.SOA)
        self.soa_rrset.update(rdataset)
        out = io.BytesIO()
        self.soa_rrset.to_wire(out)
        self.soa_wire = out.getvalue()


def _key(name: dns.name.Name) -> tuple[bytes, ...]:
    return tuple(label.lower() for label in name.labels if label)


def load_zones(directory: Path = ZONES) -> list[ServedZone]:
    config = json.loads((directory / "zones.json").read_text())
    served = []
    for origin_text, options in config.items():
        origin = dns.name.from_text(origin_text)
        zone = dns.zone.from_text(
            (directory / options["file"]).read_text(), origin=origin, relativize=False
        )
        entry = ServedZone(
            origin,
            zone,
            allow_transfer=options.get("allow_transfer", False),
            behaviour=options.get("behaviour", "answer"),
        )
        if options.get("signed"):
            _sign(entry)
        entry.index()
        served.append(entry)
    # The most specific zone first, so in-addr.arpa never hides a zone below it.
    served.sort(key=lambda z: len(z.origin.labels), reverse=True)
    return served


def _sign(entry: ServedZone) -> None:
    """Sign the zone with a fresh ECDSA P-256 key (KSK and ZSK in one, flags 257)."""
    private = ec.generate_private_key(ec.SECP256R1())
    dnskey = dns.dnssec.make_dnskey(
        private.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257
    )
    with entry.zone.writer() as txn:
        dns.dnssec.sign_zone(entry.zone, txn=txn, keys=[(private, dnskey)], lifetime=86400 * 30)
    ds = dns.dnssec.make_ds(entry.origin, dnskey, "SHA256")
    entry.ds = dns.rrset.from_rdata(entry.origin, 3600, ds)
    entry.signed = True


class DnsReplay:
    """The server. ``address`` is ``host:port``, the value for DNS_RESOLVERS."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, zones: list[ServedZone] | None = None
    ):
        self.host = host
        self.zones = zones if zones is not None else load_zones()
        self.queries: deque[tuple[str, str, str]] = deque(maxlen=200_000)
        self._stopping = threading.Event()
        self._udp, self._tcp = self._bind(host, port)
        self.port = self._udp.getsockname()[1]
        self._threads: list[threading.Thread] = []

    # -- setup ------------------------------------------------------------------------

    def _bind(self, host: str, port: int) -> tuple[socket.socket, socketserver.TCPServer]:
        """UDP and TCP on the same port, as clients fall back from one to the other."""
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._serve_tcp(self.request)

        for _ in range(50):
            tcp = socketserver.ThreadingTCPServer((host, port), Handler, bind_and_activate=False)
            tcp.daemon_threads = True
            tcp.allow_reuse_address = True
            tcp.server_bind()
            tcp.server_activate()
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((host, tcp.server_address[1]))
            except OSError:
                udp.close()
                tcp.server_close()
                if port:
                    raise
                continue
            # Room for bursts of queries from a brute force with many in flight.
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            udp.settimeout(0.2)
            return udp, tcp
        raise OSError("No free port for both UDP and TCP")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "DnsReplay":
        for target, name in ((self._serve_udp, "udp"), (self._tcp.serve_forever, "tcp")):
            thread = threading.Thread(target=target, name=f"DnsReplay-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._threads:  # shutdown() waits for a serve_forever that must have started
            self._tcp.shutdown()
        self._tcp.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._udp.close()

    def __enter__(self) -> "DnsReplay":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def queries_for(self, name: str, rdtype: str | None = None) -> list[tuple[str, str, str]]:
        wanted = name.lower().rstrip(".") + "."
        return [
            q for q in list(self.queries) if q[0] == wanted and (rdtype is None or q[1] == rdtype)
        ]

    # -- transports -------------------------------------------------------------------

    def _serve_udp(self) -> None:
        sock = self._udp
        while not self._stopping.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                replies = self.answer(wire, tcp=False)
            except Exception:  # noqa: BLE001 - one odd packet must not stop the server
                logger.exception("DNS replay could not answer a query")
                continue
            for reply in replies:
                try:
                    sock.sendto(reply, peer)
                except OSError:
                    pass

    def _serve_tcp(self, sock: socket.socket) -> None:
        sock.settimeout(5)
        while not self._stopping.is_set():
            header = _read_exact(sock, 2)
            if header is None:
                return
            wire = _read_exact(sock, struct.unpack("!H", header)[0])
            if wire is None:
                return
            try:
                for reply in self.answer(wire, tcp=True):
                    sock.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return  # the client hung up, as one that stops a transfer early does

    # -- answers ----------------------------------------------------------------------

    def answer(self, wire: bytes, *, tcp: bool) -> list[bytes]:
        """The reply messages for one query message; none for a query to drop."""
        fast = None if tcp else self._negative(wire)
        if fast is not None:
            return [fast]
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return self._formerr(wire)
        if query.flags & dns.flags.QR or not query.question:
            return []
        question = query.question[0]
        qname, rdtype = question.name, question.rdtype
        self.queries.append(
            (qname.to_text().lower(), dns.rdatatype.to_text(rdtype), "tcp" if tcp else "udp")
        )
        response = dns.message.make_response(query, recursion_available=True)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return [response.to_wire()]

        zone = self.zone_for(qname)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return [response.to_wire()]
        if zone.behaviour == "drop":
            return []
        if zone.behaviour == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            return [response.to_wire()]
        if rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
            return self._transfer(query, zone, tcp)

        want_dnssec = bool(query.ednsflags & dns.flags.DO)
        self._fill(response, qname, rdtype, zone, want_dnssec)
        return [self._render(response, query, tcp)]

    def zone_for(self, name: dns.name.Name) -> ServedZone | None:
        for zone in self.zones:
            if name.is_subdomain(zone.origin):
                return zone
        return None

    def _fill(
        self,
        response: dns.message.Message,
        qname: dns.name.Name,
        rdtype: int,
        zone: ServedZone,
        want_dnssec: bool,
    ) -> None:
        authenticated = zone.signed
        for _ in range(MAX_CHAIN):
            if rdtype == dns.rdatatype.DS and qname == zone.origin and zone.ds is not None:
                response.answer.append(zone.ds)
                break
            node, synthesised = self._node(zone, qname)
            if node is None:
                # NXDOMAIN is about the last name of a chain, even after a CNAME.
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(zone.soa())
                break
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rdataset is None and cname is not None and rdtype != dns.rdatatype.CNAME:
                self._add(response, qname, cname, node, want_dnssec)
                qname = cname[0].target
                next_zone = self.zone_for(qname)
                if next_zone is None or next_zone.behaviour != "answer":
                    break
                zone, authenticated = next_zone, authenticated and next_zone.signed
                continue
            if rdataset is None:
                response.authority.append(zone.soa())  # the name exists: no data
            else:
                self._add(response, qname, rdataset, node, want_dnssec, synthesised)
            break
        if authenticated and want_dnssec:
            response.flags |= dns.flags.AD

    def _node(self, zone: ServedZone, qname: dns.name.Name):
        """The node answering ``qname``: its own, a wildcard's, or None. An empty
        non-terminal answers with an empty node (no data, not NXDOMAIN)."""
        node = zone.zone.get_node(qname)
        if node is not None:
            return node, False
        if qname in zone.names:
            return dns.node.Node(), False
        encloser = qname.parent()
        while encloser not in zone.names and encloser != zone.origin:
            encloser = encloser.parent()
        wildcard = zone.zone.get_node(dns.name.Name((b"*",) + encloser.labels))
        return (wildcard, True) if wildcard is not None else (None, False)

    @staticmethod
    def _add(response, qname, rdataset, node, want_dnssec: bool, synthesised=False) -> None:
        rrset = dns.rrset.RRset(qname, rdataset.rdclass, rdataset.rdtype)
        rrset.update(rdataset)
        response.answer.append(rrset)
        if want_dnssec:
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
            if sigs is not None:
                sig_rrset = dns.rrset.RRset(
                    qname, sigs.rdclass, dns.rdatatype.RRSIG, rdataset.rdtype
                )
                sig_rrset.update(sigs)
                response.answer.append(sig_rrset)

    @staticmethod
    def _render(response: dns.message.Message, query: dns.message.Message, tcp: bool) -> bytes:
        limit = 65535 if tcp else max(512, query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query, recursion_available=True)
            truncated.flags |= dns.flags.TC
            return truncated.to_wire()

    def _transfer(self, query: dns.message.Message, zone: ServedZone, tcp: bool) -> list[bytes]:
        response = dns.message.make_response(query)
        if not tcp or not zone.allow_transfer or query.question[0].name != zone.origin:
            response.set_rcode(dns.rcode.REFUSED)
            return [response.to_wire()]
        soa = zone.soa()
        records = [soa]
        for name, rdataset in zone.zone.iterate_rdatasets():
            if rdataset.rdtype == dns.rdatatype.SOA and name == zone.origin:
                continue
            for rdata in rdataset:
                records.append(dns.rrset.from_rdata(name, rdataset.ttl, rdata))
        records.append(soa)
        messages = []
        for start in range(0, len(records), TRANSFER_CHUNK):
            part = dns.message.make_response(query)
            part.answer = records[start : start + TRANSFER_CHUNK]
            if start:
                part.question = []
            messages.append(part.to_wire(max_size=65535))
        return messages

    def _negative(self, wire: bytes) -> bytes | None:
        """NXDOMAIN or "no data" for a plain query, built without dnspython's message
        classes; None sends the query down the general path. A brute force asks mostly
        for names that do not exist, and this is what lets the server keep up with it."""
        if len(wire) < 17:
            return None
        qid, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!HHHHHH", wire)
        if flags & 0xF800 or qdcount != 1 or ancount or nscount or arcount > 1:
            return None  # a response, another opcode, or more than a plain question
        labels, offset = [], 12
        while True:
            length = wire[offset]
            if length == 0:
                offset += 1
                break
            if length > 63 or offset + 1 + length > len(wire):
                return None
            labels.append(wire[offset + 1 : offset + 1 + length].lower())
            offset += 1 + length
        if offset + 4 > len(wire):
            return None
        qtype, qclass = struct.unpack_from("!HH", wire, offset)
        question_end = offset + 4
        edns_flags = None
        if arcount:
            if wire[question_end : question_end + 3] != b"\x00\x00\x29":
                return None
            if len(wire) != question_end + 11:
                return None  # EDNS options: the general path reads them
            edns_flags = struct.unpack_from("!H", wire, question_end + 7)[0]
        key = tuple(labels)
        zone = next((z for z in self.zones if key[len(key) - len(z.labels) :] == z.labels), None)
        if (
            qclass != 1
            or zone is None
            or zone.behaviour != "answer"
            or zone.signed
            or qtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
        ):
            return None
        types = zone.types.get(key)
        if types is None:
            encloser = key[1:]
            while encloser not in zone.types:
                encloser = encloser[1:]
            if (b"*", *encloser) in zone.types:
                return None  # a wildcard answers: the general path synthesises it
            rcode = dns.rcode.NXDOMAIN
        elif qtype in types or dns.rdatatype.CNAME in types:
            return None  # records to answer
        else:
            rcode = dns.rcode.NOERROR
        self.queries.append(
            (
                b".".join(labels).decode("ascii", "replace") + ".",
                dns.rdatatype.to_text(qtype),
                "udp",
            )
        )
        reply_flags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode
        header = struct.pack("!HHHHHH", qid, reply_flags, 1, 0, 1, 0 if edns_flags is None else 1)
        opt = b""
        if edns_flags is not None:  # our OPT: 1232-byte payload, the DO bit echoed
            opt = struct.pack("!BHHBBHH", 0, 41, 1232, 0, 0, edns_flags & 0x8000, 0)
        return header + wire[12:question_end] + zone.soa_wire + opt

    @staticmethod
    def _formerr(wire: bytes) -> list[bytes]:
        if len(wire) < 12:
            return []
        flags = 0x8000 | dns.rcode.FORMERR  # QR and FORMERR, the rest cleared
        return [wire[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0)]


def _read_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        try:
            chunk = sock.recv(remaining)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
