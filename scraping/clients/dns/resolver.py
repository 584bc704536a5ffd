"""One DNS question at a time, through dnspython, with every outcome told apart.

A DNS question has more answers than "records" and "error", and an analyst needs to know
which one came back: the name exists with records (ANSWER), exists without records of
that type (NO_ANSWER), does not exist (NXDOMAIN), the resolver failed (SERVFAIL) or
refused (REFUSED), or nothing came back in time (TIMEOUT). ``query`` never raises for
these; it returns a ``DnsAnswer`` whose ``text`` is the answer as a resolver prints it,
kept as evidence.
"""

import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

logger = logging.getLogger(__name__)

# EDNS buffer size recommended since DNS Flag Day 2020: avoids IP fragmentation.
EDNS_PAYLOAD = 1232


class Outcome(StrEnum):
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    ERROR = "error"


# Outcomes that say something about the name itself (as opposed to the resolver).
DEFINITE_OUTCOMES = frozenset({Outcome.ANSWER, Outcome.NO_ANSWER, Outcome.NXDOMAIN})


def parse_servers(entries: list[str]) -> list[tuple[str, int]]:
    """``host:port`` entries (``[v6]:port`` for IPv6; port 53 when left out)."""
    servers = []
    for entry in entries:
        entry = entry.strip()
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        else:
            host, port = entry, "53"
        try:
            servers.append((host, int(port)))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not host:port") from exc
    return servers


def system_servers() -> list[tuple[str, int]]:
    """The resolvers of this machine (resolv.conf), for when none are configured."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration:
        return []
    return [(address, resolver.port) for address in resolver.nameservers]


@dataclass
class DnsAnswer:
    name: str
    rdtype: str
    outcome: Outcome
    resolver: str
    records: list[str] = field(default_factory=list)
    ttl: int | None = None
    cnames: list[str] = field(default_factory=list)  # the chain followed, in order
    authenticated: bool = False  # the resolver validated it (AD flag)
    signed: bool = False  # RRSIGs came with the answer
    text: str = ""
    error: str = ""
    response: dns.message.Message | None = None
    rdata: list = field(default_factory=list, repr=False)

    def texts(self) -> list[str]:
        """TXT records as their strings joined, as SPF and DMARC readers need them."""
        return [
            b"".join(item.strings).decode("utf-8", "replace")
            for item in self.rdata
            if hasattr(item, "strings")
        ]

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.ANSWER

    @property
    def address(self) -> str:
        """Where the evidence of this answer is filed."""
        return f"dns://{self.resolver}/{self.name}/{self.rdtype}"


def message_text(message: dns.message.Message) -> str:
    """An answer as a resolver prints it, in a canonical form: without its message id
    (it changes with every question) and with the records of each section sorted (servers
    rotate them), so that evidence of the same answer is kept once."""
    lines: list[str] = []
    section: list[str] | None = None  # records of the current section, once one began
    for line in message.to_text().splitlines():
        if line.startswith("id "):
            continue
        if line.startswith(";"):
            lines += sorted(section or [])
            section = []
            lines.append(line)
        elif section is None:
            lines.append(line)  # the header: opcode, rcode, flags
        else:
            section.append(line)
    return "\n".join(lines + sorted(section or []))


def _rcode_outcome(rcode: int) -> Outcome:
    return {
        dns.rcode.SERVFAIL: Outcome.SERVFAIL,
        dns.rcode.REFUSED: Outcome.REFUSED,
        dns.rcode.NXDOMAIN: Outcome.NXDOMAIN,
    }.get(rcode, Outcome.ERROR)


class DnsClient:
    def __init__(
        self,
        servers: list[tuple[str, int]],
        *,
        timeout: float = 2.0,
        lifetime: float = 6.0,
        on_answer: Callable[[DnsAnswer], None] | None = None,
    ):
        if not servers:
            raise ValueError("No DNS resolver to ask: set DNS_RESOLVERS or /etc/resolv.conf")
        self.servers = servers
        self.timeout = timeout
        self.lifetime = lifetime
        self.on_answer = on_answer
        self.label = ",".join(f"{host}:{port}" for host, port in servers)

    def _resolver(self, dnssec: bool) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in self.servers]
        resolver.timeout = self.timeout
        resolver.lifetime = self.lifetime
        resolver.cache = None
        resolver.use_edns(0, dns.flags.DO if dnssec else 0, EDNS_PAYLOAD)
        return resolver

    def query(self, name: str, rdtype: str, *, dnssec: bool = False) -> DnsAnswer:
        """Ask one question; the outcome is in the answer, never raised."""
        answer = self._ask(name, rdtype, dnssec)
        if self.on_answer is not None:
            self.on_answer(answer)
        return answer

    def reverse(self, address: str) -> DnsAnswer:
        """The PTR names of an address."""
        return self.query(dns.reversename.from_address(address).to_text(), "PTR")

    def _ask(self, name: str, rdtype: str, dnssec: bool) -> DnsAnswer:
        name = name.rstrip(".")
        base = {"name": name, "rdtype": rdtype, "resolver": self.label}
        started = time.monotonic()
        try:
            result = self._resolver(dnssec).resolve(
                name + ".", rdtype, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            response = exc.response(exc.qnames()[0]) if exc.qnames() else None
            return DnsAnswer(
                **base,
                outcome=Outcome.NXDOMAIN,
                text=message_text(response) if response else str(exc),
                response=response,
            )
        except dns.resolver.LifetimeTimeout:
            waited = time.monotonic() - started
            return DnsAnswer(
                **base,
                outcome=Outcome.TIMEOUT,
                error=f"No answer from {self.label} within {waited:.1f} s",
                text=f";; no answer within {waited:.1f} s",
            )
        except dns.resolver.NoNameservers as exc:
            return self._failed(base, exc)
        except dns.exception.DNSException as exc:
            return DnsAnswer(**base, outcome=Outcome.ERROR, error=str(exc), text=f";; {exc}")

        response = result.response
        records, ttl, rdata = [], None, []
        if result.rrset is not None:
            rdata = list(result.rrset)
            records = [item.to_text() for item in rdata]
            ttl = result.rrset.ttl
        cnames = [
            rrset[0].target.to_text().rstrip(".")
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.CNAME
        ]
        return DnsAnswer(
            **base,
            outcome=Outcome.ANSWER if records else Outcome.NO_ANSWER,
            records=records,
            ttl=ttl,
            cnames=cnames,
            authenticated=bool(response.flags & dns.flags.AD),
            signed=any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in response.answer),
            text=message_text(response),
            response=response,
            rdata=rdata,
        )

    @staticmethod
    def _failed(base: dict, exc: dns.resolver.NoNameservers) -> DnsAnswer:
        """Every resolver failed: SERVFAIL or REFUSED when they said so."""
        outcomes, texts = [], []
        for error in exc.kwargs.get("errors", []):
            response = error[-1] if isinstance(error[-1], dns.message.Message) else None
            if response is not None:
                outcomes.append(_rcode_outcome(response.rcode()))
                texts.append(message_text(response))
            else:
                texts.append(f";; {error[0]}: {error[-1]}")
        outcome = (
            Outcome.SERVFAIL
            if Outcome.SERVFAIL in outcomes
            else Outcome.REFUSED
            if Outcome.REFUSED in outcomes
            else Outcome.ERROR
        )
        return DnsAnswer(**base, outcome=outcome, error=str(exc), text="\n".join(texts))


@dataclass
class ZoneTransfer:
    zone: str
    server: str
    outcome: str  # "allowed", "refused", "timeout", "error"
    records: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, value
    text: str = ""
    error: str = ""
    truncated: bool = False

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"


def transfer_zone(
    zone: str,
    address: str,
    port: int = 53,
    *,
    timeout: float = 5.0,
    max_records: int = 100_000,
) -> ZoneTransfer:
    """Ask one name server for the whole zone (AXFR over TCP).

    A server that allows it streams every record between two SOA records. The transfer
    is bounded in time and in records, since a hostile server may stream without end.
    """
    server = f"{address}:{port}"
    result = ZoneTransfer(zone=zone, server=server, outcome="error")
    query = dns.message.make_query(zone + ".", "AXFR")
    expiration = time.monotonic() + timeout
    lines: list[str] = []
    try:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((address, port))
            dns.query.send_tcp(sock, query, _absolute(expiration))
            soa_seen = 0
            while soa_seen < 2:
                response, _ = dns.query.receive_tcp(
                    sock, _absolute(expiration), one_rr_per_rrset=True
                )
                if response.id != query.id:
                    raise dns.exception.FormError("answer to another question")
                if response.rcode() != dns.rcode.NOERROR:
                    result.outcome = "refused"
                    result.text = message_text(response)
                    result.error = f"Transfer refused ({dns.rcode.to_text(response.rcode())})"
                    return result
                if not response.answer:
                    raise dns.exception.FormError("empty transfer message")
                for rrset in response.answer:
                    soa_seen += rrset.rdtype == dns.rdatatype.SOA
                    for rdata in rrset:
                        result.records.append(
                            (
                                rrset.name.to_text().rstrip("."),
                                dns.rdatatype.to_text(rrset.rdtype),
                                rdata.to_text(),
                            )
                        )
                    lines.append(rrset.to_text())
                if soa_seen == 0:
                    raise dns.exception.FormError("transfer does not start with the SOA")
                if len(result.records) >= max_records:
                    result.truncated = True
                    break
        result.outcome = "allowed"
    except (dns.exception.Timeout, TimeoutError):
        _broken_off(result, "timeout", f"No transfer from {server} within {timeout} s")
    except OSError as exc:
        _broken_off(result, "error", f"Could not connect to {server}: {exc}")
    except (dns.exception.DNSException, EOFError, struct.error) as exc:
        _broken_off(result, "error", f"Broken transfer from {server}: {exc}")
    result.text = result.text or "\n".join(lines)
    return result


def _broken_off(result: ZoneTransfer, outcome: str, error: str) -> None:
    """A transfer that started and broke off was still allowed: keep what came."""
    if result.records:
        result.outcome, result.truncated = "allowed", True
    else:
        result.outcome = outcome
    result.error = error


def _absolute(deadline_monotonic: float) -> float:
    """dnspython takes expirations on its own clock (time.time)."""
    return time.time() + max(0.0, deadline_monotonic - time.monotonic())
