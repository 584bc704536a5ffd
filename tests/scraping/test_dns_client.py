"""The DNS clients against the loopback DNS server of the replay world."""

import socket
import threading

import dns.message
import pytest

from scraping.clients.dns.bulk import BulkResolver
from scraping.clients.dns.resolver import DnsClient, Outcome, parse_servers, transfer_zone


@pytest.fixture
def client(dns_replay):
    return DnsClient([("127.0.0.1", dns_replay.port)], timeout=0.3, lifetime=0.8)


@pytest.fixture
def bulk(dns_replay):
    return BulkResolver([("127.0.0.1", dns_replay.port)], concurrency=50, timeout=0.3, attempts=2)


@pytest.mark.parametrize(
    ("name", "rdtype", "expected"),
    [
        ("github.com", "A", ["140.82.121.3"]),
        ("xn--kche-0ra.de", "AAAA", ["2001:db8::10"]),
        ("www.xn--kche-0ra.de", "CNAME", ["xn--kche-0ra.de."]),
        ("zonetransfer.me", "MX", ["0 ASPMX.L.GOOGLE.COM."]),
        ("zonetransfer.me", "NS", ["nsztm1.digi.ninja.", "nsztm2.digi.ninja."]),
        (
            "zonetransfer.me",
            "TXT",
            ['"google-site-verification=tyP28J7JAUHA9fw2sHXMgcCC0I6XBmmoVi04VlMewxA"'],
        ),
        (
            "github.com",
            "SOA",
            ["dns1.p08.nsone.net. hostmaster.nsone.net. 1656468023 43200 7200 1209600 3600"],
        ),
        ("xn--kche-0ra.de", "CAA", ['0 issue "letsencrypt.org"']),
        ("_sip._tcp.zonetransfer.me", "SRV", ["0 0 5060 www.zonetransfer.me."]),
        ("3.121.82.140.in-addr.arpa", "PTR", ["lb-140-82-121-3-fra.github.com."]),
    ],
)
def test_each_record_type_is_answered_with_its_records(client, name, rdtype, expected):
    answer = client.query(name, rdtype)

    assert answer.outcome == Outcome.ANSWER
    assert sorted(answer.records)[: len(expected)] == sorted(expected)[: len(expected)]
    assert set(expected) <= set(answer.records)
    assert answer.address == f"dns://{client.label}/{name}/{rdtype}"
    assert rdtype in answer.text


def test_no_record_of_the_type_nxdomain_and_timeout_are_three_different_outcomes(client):
    no_answer = client.query("github.com", "AAAA")  # github.com has no IPv6 address
    missing = client.query("no-such-name.github.com", "A")
    silent = client.query("www.unanswered.example", "A")

    assert no_answer.outcome == Outcome.NO_ANSWER and no_answer.records == []
    assert "SOA" in no_answer.text
    assert missing.outcome == Outcome.NXDOMAIN and "NXDOMAIN" in missing.text
    assert silent.outcome == Outcome.TIMEOUT and "No answer from" in silent.error


def test_servfail_and_refused_are_told_apart_from_a_timeout(client):
    assert client.query("dnssec-failed.org", "A").outcome == Outcome.SERVFAIL
    assert client.query("outside-the-replay.example.org", "A").outcome == Outcome.REFUSED


def test_a_name_that_exists_only_as_a_parent_of_others_answers_no_records(client):
    answer = client.query("security.github.com", "A")  # api.security.github.com exists

    assert answer.outcome == Outcome.NO_ANSWER


def test_a_cname_chain_is_followed_and_kept(client):
    answer = client.query("dev.wildcard.example", "A")

    assert answer.records == ["192.0.2.81"]
    assert answer.cnames == ["www.wildcard.example"]


def test_a_signed_zone_answers_with_signatures_and_the_resolver_s_validation(client):
    signed = client.query("xn--kche-0ra.de", "DNSKEY", dnssec=True)
    unsigned = client.query("github.com", "DNSKEY", dnssec=True)

    assert signed.outcome == Outcome.ANSWER
    assert signed.records[0].startswith("257 3 13 ")
    assert signed.signed and signed.authenticated
    assert unsigned.outcome == Outcome.NO_ANSWER and not unsigned.authenticated


def test_an_answer_too_large_for_udp_is_asked_again_over_tcp(client, dns_replay):
    answer = client.query("github.com", "TXT")

    assert len(answer.records) == 17
    spf = next(t for t in answer.texts() if t.startswith("v=spf1"))
    assert "mktomail.com ip4:166.78.69.169" in spf  # the two strings joined
    assert "tcp" in {transport for _, _, transport in dns_replay.queries_for("github.com", "TXT")}


def test_resolver_addresses_are_read_as_host_and_port():
    assert parse_servers(["127.0.0.1:5353", "9.9.9.9", "[2001:db8::1]:53"]) == [
        ("127.0.0.1", 5353),
        ("9.9.9.9", 53),
        ("2001:db8::1", 53),
    ]
    with pytest.raises(ValueError):
        parse_servers(["127.0.0.1:dns"])


def test_a_zone_transfer_allowed_by_the_server_gives_every_record(dns_replay):
    result = transfer_zone("zonetransfer.me", "127.0.0.1", dns_replay.port, timeout=2)

    assert result.allowed
    assert len(result.records) == 25  # the 24 recorded records, and the SOA again at the end
    assert result.records[0][1] == "SOA" and result.records[-1][1] == "SOA"
    assert ("cmdexec.zonetransfer.me", "TXT", '"; ls"') in result.records


def test_a_refused_zone_transfer_and_a_closed_port_are_reported(dns_replay):
    refused = transfer_zone("github.com", "127.0.0.1", dns_replay.port, timeout=2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    closed = transfer_zone("github.com", "127.0.0.1", closed_port, timeout=1)

    assert refused.outcome == "refused" and refused.records == []
    assert closed.outcome == "error" and "Could not connect" in closed.error


def test_a_zone_transfer_is_cut_at_the_record_limit(dns_replay):
    result = transfer_zone("zonetransfer.me", "127.0.0.1", dns_replay.port, max_records=20)

    assert result.allowed and result.truncated
    assert len(result.records) == 20


def test_the_bulk_resolver_tells_every_outcome_apart(bulk):
    names = [
        "www.github.com",
        "nope.github.com",
        "security.github.com",
        "x.unanswered.example",
        "dnssec-failed.org",
        "bad..name",
    ]
    results = {r.name: r for r in bulk.resolve(names)}

    assert results["www.github.com"].outcome == Outcome.ANSWER
    assert results["www.github.com"].values == ["140.82.121.4"]
    assert results["nope.github.com"].outcome == Outcome.NXDOMAIN
    assert results["security.github.com"].outcome == Outcome.NO_ANSWER
    assert results["x.unanswered.example"].outcome == Outcome.TIMEOUT
    assert results["dnssec-failed.org"].outcome == Outcome.SERVFAIL
    assert results["bad..name"].outcome == Outcome.ERROR
    assert bulk.sent == 5 + 1 + 1  # the timeout and the SERVFAIL were asked twice


def test_the_bulk_resolver_answers_many_names_with_many_in_flight(bulk):
    names = [f"n{i}.github.com" for i in range(400)] + ["docs.github.com"]
    results = list(bulk.resolve(names))

    assert len(results) == 401
    found = [r for r in results if r.outcome == Outcome.ANSWER]
    assert [r.name for r in found] == ["docs.github.com"]
    assert sorted(found[0].values) == [f"185.199.{n}.154" for n in (108, 109, 110, 111)]


def test_the_bulk_resolver_reads_pointer_and_ipv6_answers(bulk):
    (pointer,) = bulk.resolve(["4.121.82.140.in-addr.arpa"], "PTR")
    (ipv6,) = bulk.resolve(["deadbeef.zonetransfer.me"], "AAAA")

    assert pointer.values == ["lb-140-82-121-4-iad.github.com"]
    assert ipv6.values == ["dead:beaf::"]


class _ForgingServer:
    """A loopback UDP server that first answers for another name, then correctly."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(3)
        self.port = self.sock.getsockname()[1]
        self.seen = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while self.seen < 2:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.seen += 1
            query = dns.message.from_wire(wire)
            asked = query.question[0].name.to_text()
            name = "forged.example." if self.seen == 1 else asked
            forged = dns.message.make_query(name, "A", id=query.id)
            response = dns.message.make_response(forged)
            response.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "192.0.2.66"))
            self.sock.sendto(response.to_wire(), peer)


def test_an_answer_to_another_question_is_dropped_and_the_question_asked_again():
    server = _ForgingServer()
    server.thread.start()
    resolver = BulkResolver([("127.0.0.1", server.port)], timeout=0.3, attempts=3)

    (result,) = resolver.resolve(["real.example"])

    server.thread.join(2)
    server.sock.close()
    assert server.seen == 2
    assert result.outcome == Outcome.ANSWER and result.values == ["192.0.2.66"]
    assert resolver.sent == 2


def test_a_truncated_bulk_answer_is_asked_again_over_tcp(dns_replay):
    resolver = BulkResolver([("127.0.0.1", dns_replay.port)], timeout=0.5)
    (result,) = resolver.resolve(["github.com"], "TXT")

    assert result.outcome == Outcome.ANSWER
    assert len(result.values) == 17
