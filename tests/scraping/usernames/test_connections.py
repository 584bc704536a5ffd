"""The username checker's connections, through SiteTransport, against servers on loopback:
kept open and reused, bounded in number, TLS, the outbound proxies and IDN hosts."""

import asyncio
import base64
import socket
import ssl
from types import SimpleNamespace

import pytest

from scraping.usernames.checker import UsernameChecker
from scraping.usernames.connections import Disconnected, SiteConnection
from scraping.usernames.detection import CheckState, Reason
from scraping.usernames.transport import PooledResolver, SiteTransport
from scraping.usernames.wire import BadAnswer

from ..pinned_hosts import Socks5Proxy
from .conftest import make_site, run_apart
from .loopback import HOST, Loopback, Reply, Seen, answer_ok, ok

IDN_HOST = "bücher.example"
IDN_A_LABELS = "xn--bcher-kva.example"


def site_transport(**options) -> SiteTransport:
    options.setdefault("concurrency", 10)
    options.setdefault("max_body_bytes", 1024 * 1024)
    # The test sites are on loopback, which ALLOW_PRIVATE_ADDRESSES admits in production;
    # the guard itself is tested in test_hostile_answers.py.
    options.setdefault("allow_private", True)
    return SiteTransport(user_agent="osint-test/1.0", **options)


@pytest.fixture
def names(monkeypatch):
    """Host names the run's resolver answers with 127.0.0.1 (add them to ``known``); every
    lookup is recorded in ``asked``, and a name not known fails, so none leaves the
    machine."""
    known: set[str] = set()
    asked: list[str] = []

    async def resolve(self, host, port):
        asked.append(host)
        if host not in known:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a test name")
        return [(socket.AF_INET, HOST)]

    monkeypatch.setattr(PooledResolver, "resolve", resolve)
    return SimpleNamespace(known=known, asked=asked)


def answered_once_per_connection(request: Seen, *, seen: dict) -> Reply:
    """Answers the first request of each connection; the next one on that connection is
    read and left unanswered, the connection closed (as a site whose keep-alive time ran
    out just as the request came)."""
    seen[request.connection] = seen.get(request.connection, 0) + 1
    if seen[request.connection] > 1:
        return Reply(b"", close=True)
    return answer_ok(request)


# -- keeping connections ----------------------------------------------------------------------


def test_a_sites_second_request_goes_over_the_connection_of_the_first():
    async def scenario():
        async with Loopback() as site, site_transport().opened() as transport:
            first = await transport.fetch("GET", f"{site.url()}/u/alice")
            second = await transport.fetch("GET", f"{site.url()}/u/x7q2kd")
            return first, second, site

    first, second, site = run_apart(scenario())

    assert (first.body, second.body) == (b"ok", b"ok")
    assert site.accepted == 1
    assert site.arrivals == [
        (1, b"/u/alice"),
        (1, b"/u/x7q2kd"),
    ]


def test_an_answer_that_says_close_is_followed_by_a_new_connection():
    async def scenario():
        closing = Loopback(lambda request: ok(b"ok", "Connection: close"))
        async with closing as site, site_transport().opened() as transport:
            for name in ("alice", "bob"):
                await transport.fetch("GET", f"{site.url()}/u/{name}")
            return site

    site = run_apart(scenario())

    assert site.accepted == 2


def test_a_truncated_body_spends_its_connection_and_the_next_request_opens_another():
    async def scenario():
        big = Loopback(lambda request: ok(b"x" * 5000))
        async with big as site, site_transport(max_body_bytes=1000).opened() as transport:
            first = await transport.fetch("GET", f"{site.url()}/u/alice")
            second = await transport.fetch("GET", f"{site.url()}/u/bob")
            return first, second, site

    first, second, site = run_apart(scenario())

    assert (len(first.body), first.truncated, second.truncated) == (1000, True, True)
    assert site.accepted == 2
    assert [r.connection for r in site.requests] == [1, 2]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_safe_request_on_a_kept_connection_the_site_closed_unanswered_is_sent_again_once(
    method,
):
    async def scenario():
        seen: dict[int, int] = {}
        async with (
            Loopback(lambda request: answered_once_per_connection(request, seen=seen)) as site,
            site_transport().opened() as transport,
        ):
            await transport.fetch(method, f"{site.url()}/first")
            second = await transport.fetch(method, f"{site.url()}/second")
            return second, site

    second, site = run_apart(scenario())

    assert second.status == 200
    assert site.arrivals == [
        (1, b"/first"),
        (1, b"/second"),
        (2, b"/second"),
    ]


def test_a_post_on_a_kept_connection_the_site_closed_unanswered_is_not_sent_again():
    async def scenario():
        seen: dict[int, int] = {}
        async with (
            Loopback(lambda request: answered_once_per_connection(request, seen=seen)) as site,
            site_transport().opened() as transport,
        ):
            await transport.fetch("POST", f"{site.url()}/api", payload={"username": "alice"})
            with pytest.raises(Disconnected, match="before answering"):
                await transport.fetch("POST", f"{site.url()}/api", payload={"username": "bob"})
            return site

    site = run_apart(scenario())

    assert [(r.connection, r.body) for r in site.requests] == [
        (1, b'{"username": "alice"}'),
        (1, b'{"username": "bob"}'),
    ]


def test_a_new_connection_closed_unanswered_is_not_tried_again():
    async def scenario():
        silent = Loopback(lambda request: Reply(b"", close=True))
        async with silent as site, site_transport().opened() as transport:
            with pytest.raises(Disconnected, match="before answering"):
                await transport.fetch("GET", f"{site.url()}/u/alice")
            return site

    assert run_apart(scenario()).accepted == 1


def test_an_answer_cut_off_on_a_kept_connection_is_not_asked_again():
    """Once the site has started answering, it has read the request: sending it again
    would ask twice, and this answer is broken, not lost."""

    async def scenario():
        def cut_off(request: Seen) -> Reply:
            if request.connection == 1 and request.target == b"/second":
                return Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart", close=True)
            return answer_ok(request)

        async with Loopback(cut_off) as site, site_transport().opened() as transport:
            await transport.fetch("GET", f"{site.url()}/first")
            with pytest.raises(Disconnected, match="in the middle of its answer"):
                await transport.fetch("GET", f"{site.url()}/second")
            return site

    site = run_apart(scenario())

    assert (site.accepted, len(site.requests)) == (1, 2)


def test_a_connection_the_site_closed_while_idle_is_not_used_again_even_for_a_post():
    async def scenario():
        idle_closing = Loopback(lambda request: Reply(ok().data, close=True))
        async with idle_closing as site, site_transport().opened() as transport:
            await transport.fetch("POST", f"{site.url()}/api", payload={"username": "alice"})
            while site.open:  # the site has closed it; give the client a turn to see that
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.01)
            second = await transport.fetch("POST", f"{site.url()}/api", payload={"n": "bob"})
            return second, site

    second, site = run_apart(scenario())

    assert second.status == 200
    assert [r.connection for r in site.requests] == [1, 2]


def test_a_post_is_not_failed_on_a_connection_seen_closed_before_anything_was_sent(monkeypatch):
    """The site's close of an idle connection is read (eof_received) a loop turn before
    the connection counts as closed (connection_lost). A request that takes it in that
    turn finds it closing and sends nothing, so it is safe to send anew whatever its
    method; failing it makes a POST site "unknown" for no fault of its own."""
    original = SiteConnection.eof_received
    second: list[asyncio.Future] = []

    async def scenario():
        idle_closing = Loopback(lambda request: Reply(ok().data, close=True))
        async with idle_closing as site, site_transport().opened() as transport:

            def eof_received(connection):
                if not second:  # the next request starts in the turn the close is read
                    second.append(
                        asyncio.ensure_future(
                            transport.fetch("POST", f"{site.url()}/api", payload={"n": 2})
                        )
                    )
                return original(connection)

            monkeypatch.setattr(SiteConnection, "eof_received", eof_received)
            await transport.fetch("POST", f"{site.url()}/api", payload={"n": 1})
            while not second:
                await asyncio.sleep(0.001)
            answer = (await asyncio.gather(second[0], return_exceptions=True))[0]
            return answer, site

    answer, site = run_apart(scenario())

    assert not isinstance(answer, Exception), answer
    assert answer.status == 200
    assert [(r.connection, r.body) for r in site.requests] == [(1, b'{"n": 1}'), (2, b'{"n": 2}')]


@pytest.mark.parametrize(
    ("garbled", "complaint"),
    [
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        # A digit that str.isdigit takes and int() refuses: the plain ValueError must not
        # escape the reader as a fatal error of the connection (then seen as cut off).
        ("Content-Length: \u00b2\r\n\r\nhello".encode(), "Content-Length"),
    ],
    ids=["chunk-size", "superscript-length"],
)
def test_a_malformed_answer_is_a_bad_answer_and_its_connection_is_not_used_again(
    garbled, complaint
):
    async def scenario():
        def answer(request: Seen) -> Reply:
            if request.target == b"/garbled":
                return Reply(b"HTTP/1.1 200 OK\r\n" + garbled)
            return answer_ok(request)

        async with Loopback(answer) as site, site_transport().opened() as transport:
            await transport.fetch("GET", f"{site.url()}/first")
            with pytest.raises(BadAnswer, match=complaint):
                await transport.fetch("GET", f"{site.url()}/garbled")
            after = await transport.fetch("GET", f"{site.url()}/after")
            return after, site

    after, site = run_apart(scenario())

    assert after.status == 200
    assert site.arrivals == [
        (1, b"/first"),
        (1, b"/garbled"),
        (2, b"/after"),
    ]


# -- the bound on connections -----------------------------------------------------------------


def test_the_pool_keeps_no_more_open_than_its_bound_and_closes_the_longest_idle_first():
    async def scenario():
        async with (
            Loopback(ports=6) as sites,
            # A bound of two connections: twice the concurrency (connections.py).
            site_transport(concurrency=1).opened() as transport,
        ):
            accepted = []
            for n in [0, 1, 2, 3, 4, 5, 4, 0, 4, 5]:
                await transport.fetch("GET", f"{sites.url(port=sites.ports[n])}/")
                accepted.append(sites.accepted)
            return accepted, sites.most_open

    accepted, most_open = run_apart(scenario())

    # A connection for each of six origins, two kept at most: the fifth's, still idle, is
    # reused; the first's new one takes the place of the sixth's, idle the longest, so
    # the fifth's is reused once more and the sixth's is opened anew.
    assert accepted == [1, 2, 3, 4, 5, 6, 6, 7, 7, 8]
    assert most_open == 2


def test_requests_to_more_origins_at_once_than_the_bound_all_get_answered_within_it():
    """More requests at once than the pool's bound wait for a place; a connection left
    idle by a finished request must make room for them, not hold its place while the
    site keeps it open."""

    async def scenario():
        async with (
            Loopback(ports=6) as sites,
            # A bound of two connections: twice the concurrency (connections.py).
            site_transport(concurrency=1).opened() as transport,
        ):
            asking = (transport.fetch("GET", f"{sites.url(port=p)}/") for p in sites.ports)
            answers = await asyncio.wait_for(asyncio.gather(*asking), timeout=0.5)
            return answers, sites.most_open

    answers, most_open = run_apart(scenario())

    assert [a.status for a in answers] == [200] * 6
    assert most_open == 2


# -- TLS --------------------------------------------------------------------------------------


def test_an_https_site_is_reached_with_the_given_authorities_and_its_name_in_sni(tls_server, names):
    names.known.add(tls_server.name)
    tls = ssl.create_default_context(cafile=str(tls_server.ca))

    async def scenario():
        async with site_transport(tls=tls).opened() as transport:
            return await transport.fetch("GET", f"https://{tls_server.name}:{tls_server.port}/")

    answer = run_apart(scenario())

    assert (answer.status, answer.body) == (200, b"ok")
    assert tls_server.names == [tls_server.name]
    assert names.asked == [tls_server.name]


def test_a_certificate_for_another_name_makes_the_check_unknown(tls_server, names):
    names.known.add("other.test")
    site = make_site(
        "othersite",
        {"method": "status"},
        profile=f"https://other.test:{tls_server.port}/u/{{username}}",
    )
    transport = site_transport(tls=ssl.create_default_context(cafile=str(tls_server.ca)))
    checker = UsernameChecker(transport, site_timeout=2.0, run_timeout=5.0)

    result = checker.check("alice", [site])[0]

    assert (result.state, result.reason) == (CheckState.UNKNOWN, Reason.CONNECTION_ERROR)
    assert "certificate" in result.detail and "other.test" in result.detail
    assert result.status is None
    assert tls_server.names == ["other.test"]


# -- outbound proxies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "authorization"),
    [("", None), ("scout:p%40ss@", b"Basic " + base64.b64encode(b"scout:p@ss"))],
    ids=["anonymous", "with-credentials"],
)
def test_a_plain_http_address_goes_whole_to_an_http_proxy(credentials, authorization, names):
    async def scenario():
        async with Loopback() as proxy:
            address = f"http://{credentials}{HOST}:{proxy.ports[0]}"
            async with site_transport(proxy=address).opened() as transport:
                await transport.fetch("GET", "http://site.example/u/alice?tab=1")
                await transport.fetch("GET", "http://other.example:8080/u/alice")
            return proxy

    proxy = run_apart(scenario())

    first, second = proxy.requests
    assert first.head.split(b"\r\n")[0] == b"GET http://site.example/u/alice?tab=1 HTTP/1.1"
    assert second.target == b"http://other.example:8080/u/alice"
    assert (first.headers["host"], second.headers["host"]) == (
        b"site.example",
        b"other.example:8080",
    )
    assert first.headers.get("proxy-authorization") == authorization
    # The proxy takes every plain-HTTP address: one connection to it serves both sites.
    assert proxy.accepted == 1
    assert names.asked == []  # the names are the proxy's to look up


def test_an_https_address_goes_through_an_http_proxy_in_a_connect_tunnel(tls_server, names):
    tls = ssl.create_default_context(cafile=str(tls_server.ca))

    async def scenario():
        async with Loopback(tunnels=True) as proxy:
            address = f"http://scout:secret@{HOST}:{proxy.ports[0]}"
            async with site_transport(proxy=address, tls=tls).opened() as transport:
                answer = await transport.fetch(
                    "GET", f"https://{tls_server.name}:{tls_server.port}/u/alice"
                )
            return answer, proxy

    answer, proxy = run_apart(scenario())

    assert (answer.status, answer.body) == (200, b"ok")
    (connect,) = proxy.requests
    assert (
        connect.head.split(b"\r\n")[0]
        == f"CONNECT {tls_server.name}:{tls_server.port} HTTP/1.1".encode()
    )
    assert connect.headers["proxy-authorization"] == b"Basic " + base64.b64encode(b"scout:secret")
    assert tls_server.names == [tls_server.name]  # TLS inside the tunnel, to the site
    assert names.asked == []


@pytest.mark.parametrize(
    ("scheme", "host", "destination"),
    [("socks5h", "profile.example", "profile.example"), ("socks5", "localhost", "127.0.0.1")],
)
def test_a_socks5_proxy_is_handed_the_name_with_socks5h_and_an_address_with_socks5(
    scheme, host, destination, names
):
    proxy = Socks5Proxy()

    async def scenario():
        async with site_transport(proxy=proxy.url(scheme)).opened() as transport:
            return await transport.fetch("GET", f"http://{host}:8080/u/alice")

    try:
        answer = run_apart(scenario())
    finally:
        proxy.close()

    assert (answer.status, answer.body) == (200, b"ok")
    assert proxy.destinations == [(destination, 8080)]
    assert names.asked == []  # neither asks the run's resolver: socks5 resolves in the proxy client


@pytest.mark.parametrize(
    "proxy",
    [
        "https://127.0.0.1:3128",
        "ftp://127.0.0.1:21",
        "socks6://127.0.0.1:1080",
        "127.0.0.1:3128",
        "socks5://",
        "http://:3128",
    ],
)
def test_an_outbound_proxy_the_checks_cannot_use_is_refused_when_the_transport_is_made(proxy):
    with pytest.raises(ValueError, match="OUTBOUND_PROXY"):
        site_transport(proxy=proxy)


# -- names ------------------------------------------------------------------------------------


def test_an_idn_host_is_looked_up_and_sent_as_a_labels(names):
    names.known.add(IDN_A_LABELS)

    async def scenario():
        async with Loopback() as site, site_transport().opened() as transport:
            await transport.fetch("GET", f"http://Bücher.example:{site.ports[0]}/über?q=ä")
            return site

    site = run_apart(scenario())

    (request,) = site.requests
    assert request.headers["host"] == f"{IDN_A_LABELS}:{site.ports[0]}".encode()
    assert request.target == b"/%C3%BCber?q=%C3%A4"
    assert names.asked == [IDN_A_LABELS]


def test_an_ipv6_address_is_reached_as_it_is_and_named_in_brackets(names):
    async def scenario():
        async with Loopback(host="::1") as site, site_transport().opened() as transport:
            answer = await transport.fetch("GET", f"{site.url()}/u/alice")
            return answer, site

    answer, site = run_apart(scenario())

    assert answer.status == 200
    assert site.requests[0].headers["host"] == f"[::1]:{site.ports[0]}".encode()
    assert names.asked == []


def test_the_original_host_of_an_idn_address_travels_to_the_override_as_a_labels():
    """The override's server tells sites apart by X-Original-Host; the replay server reads
    header bytes as Latin-1, so raw UTF-8 there would name no site it knows."""

    async def scenario():
        async with Loopback() as site:
            transport = site_transport(url_override=site.url())
            async with transport.opened():
                await transport.fetch("GET", f"https://{IDN_HOST}/u/alice")
            return site

    (request,) = run_apart(scenario()).requests

    assert request.headers["x-original-host"] == IDN_A_LABELS.encode()
    assert request.target == b"/u/alice"
