import datetime as dt
import http.server
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from investigations.errors import PermanentError, TransientError
from investigations.models import Entity, Evidence, Relationship
from investigations.services.graph import GraphWriter
from replay.web.server import WebReplay
from scraping import addresses
from scraping.addresses import AddressRefused
from scraping.clients.web import WebFetcher
from scraping.services.domain import web


@pytest.fixture
def context(make_context, make_target):
    def make(domain):
        return make_context(make_target("domain", domain), source="domain")

    return make


def _collect(ctx, domain):
    return web.collect(ctx, GraphWriter(ctx.investigation_id, ctx.target_id, "domain"), domain)


def _uses(ctx):
    return {
        r.target.name: r.attributes["versions"]
        for r in Relationship.objects.filter(investigation_id=ctx.investigation_id, kind="uses")
    }


@pytest.mark.django_db
def test_a_wordpress_site_is_recognised_with_versions_title_and_headers(web_replay, context):
    ctx = context("wordpress.example")

    result = _collect(ctx, "wordpress.example")

    assert result["pages"] == 2
    uses = _uses(ctx)
    assert uses["WordPress"] == ["6.4.2"]
    assert uses["Nginx"] == ["1.18.0"]
    assert uses["PHP"] == ["8.1.2"]
    assert "MySQL" in uses and "jQuery" in uses
    page = Entity.objects.get(kind="url", key="https://wordpress.example/")
    assert page.attributes["status"] == 200
    assert page.attributes["title"] == "Example & Co – Just another site"
    assert page.attributes["headers"]["server"] == ["nginx/1.18.0"]
    requests = [r.headers.get("x-forwarded-proto") for r in web_replay.requests]
    assert requests == ["https", "http"]
    assert {r.headers["host"] for r in web_replay.requests} == {"wordpress.example"}
    assert (
        Evidence.objects.filter(source="domain", investigation_id=ctx.investigation_id).count() == 2
    )


@pytest.mark.django_db
def test_server_icewarp_is_icewarp_and_nothing_else(web_replay, context):
    ctx = context("icewarp.example")

    _collect(ctx, "icewarp.example")

    assert _uses(ctx) == {"IceWarp": ["11.1.2.0"]}


@pytest.mark.django_db
def test_server_http_server_unknown_detects_nothing(web_replay, context):
    ctx = context("unknown-server.example")

    result = _collect(ctx, "unknown-server.example")

    assert result["technologies"] == []
    assert _uses(ctx) == {}


@pytest.mark.django_db
def test_a_redirect_to_another_host_is_followed_and_recorded(web_replay, context):
    ctx = context("shop.example")

    _collect(ctx, "shop.example")

    page = Entity.objects.get(kind="url", key="https://www.shop.example/")
    assert page.attributes["requested"] == "http://shop.example/"
    assert page.attributes["redirects"] == ["http://shop.example/"]
    assert {"Cloudflare", "Laravel", "PHP"} <= set(_uses(ctx))


@pytest.mark.django_db
def test_a_redirect_loop_stops_at_the_limit_with_a_clear_error(web_replay, context, settings):
    settings.WEB_MAX_REDIRECTS = 3
    ctx = context("loop.example")

    with pytest.raises(PermanentError) as caught:
        _collect(ctx, "loop.example")

    assert "redirected more than 3 times" in str(caught.value)
    assert len(web_replay.requests) == 8  # 4 hops for each scheme


@pytest.mark.django_db
def test_an_oversized_page_is_cut_off_and_said_so(web_replay, context, settings):
    settings.WEB_MAX_BYTES = 10_000
    web_replay.add(
        "big.example",
        {"headers": {"Server": "nginx"}, "body": {"repeat": "<p>lorem</p>", "times": 100_000}},
    )
    ctx = context("big.example")

    _collect(ctx, "big.example")

    page = Entity.objects.get(kind="url", key="https://big.example/")
    assert page.attributes["truncated"] is True
    assert page.attributes["bytes"] == 10_000
    assert any("larger than 10000 bytes; cut off" in note for note in ctx.notes)


@pytest.mark.django_db
def test_a_slow_page_is_cut_off_at_the_time_limit(web_replay, context, settings):
    settings.WEB_TOTAL_TIMEOUT = 0.6
    web_replay.add("slow.example", {"body": "x" * 20_000, "chunk_delay": 0.1})
    ctx = context("slow.example")

    with pytest.raises(TransientError) as caught:
        _collect(ctx, "slow.example")

    assert "was still arriving after 0.6 s; cut off" in str(caught.value)
    assert any("https://slow.example/" in note and "cut off" in note for note in ctx.notes)


@pytest.mark.django_db
def test_a_site_on_a_private_address_is_refused_without_the_setting(web_replay, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    site = web_replay.url.replace("127.0.0.1", "localhost")  # a name a target could give

    with pytest.raises(PermanentError) as caught:
        WebFetcher().fetch(site + "/")

    assert "127.0.0.1, a private, loopback or link-local address; refused" in str(caught.value)
    assert web_replay.requests == []


@pytest.mark.django_db
def test_the_override_from_settings_is_trusted_on_a_private_address(web_replay, context, settings):
    """WEB_URL_OVERRIDE names an internal mirror or proxy: reached with the guard on."""
    settings.ALLOW_PRIVATE_ADDRESSES = False
    ctx = context("wordpress.example")

    _collect(ctx, "wordpress.example")

    assert [r.headers.get("host") for r in web_replay.requests] == [
        "wordpress.example",
        "wordpress.example",
    ]


@pytest.mark.django_db  # the host's limits are read from the database
def test_every_redirect_hop_is_checked(monkeypatch, settings):
    # 127.0.0.1 stands in for a public site; its redirect to 127.0.0.2 must be refused.
    settings.ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(addresses, "is_public", lambda ip: ip == "127.0.0.1")
    with WebReplay() as server:
        port = server.httpd.server_address[1]
        server.add(
            "127.0.0.1",
            {"status": 302, "headers": {"Location": f"http://127.0.0.2:{port}/"}, "body": ""},
        )
        with pytest.raises(AddressRefused) as caught:
            WebFetcher().fetch(f"http://127.0.0.1:{port}/")

        assert "127.0.0.2" in str(caught.value)
        assert len(server.requests) == 1


@pytest.mark.django_db  # the host's limits are read from the database
def test_a_name_is_resolved_once_and_the_checked_address_is_used(monkeypatch, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    calls = []

    def resolve_once(host, port, *args, **kwargs):
        calls.append(host)
        if len(calls) > 1:
            raise AssertionError("resolved a second time: a rebinding window")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", resolve_once)
    with WebReplay() as server:
        port = server.httpd.server_address[1]
        server.add("rebind.test", {"headers": {"Server": "nginx"}, "body": "ok"})

        page = WebFetcher().fetch(f"http://rebind.test:{port}/")

    assert page.status == 200
    assert page.address == "127.0.0.1"
    assert calls == ["rebind.test"]


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Issuer Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test CA"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0xC0FFEE)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.django_db  # the host's limits are read from the database
def test_the_tls_certificate_is_summarised_and_a_failed_verification_recorded(tmp_path, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    cert_path, key_path = _self_signed(tmp_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<title>secure</title>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = WebFetcher().fetch(f"https://localhost:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()

    assert page.status == 200
    assert page.tls["verified"] is False
    assert "self-signed" in page.tls["error"] or "unable to get local issuer" in page.tls["error"]
    assert page.tls["subject_cn"] == "localhost"
    assert page.tls["issuer_organization"] == "Test Issuer Ltd"
    assert page.tls["serial"] == "c0ffee"
    assert page.tls["names"] == ["localhost"]


@pytest.mark.django_db
def test_a_domain_without_a_web_site_is_a_finding_not_a_failure(web_replay, context):
    ctx = context("no-site.example")

    result = _collect(ctx, "no-site.example")

    assert result == {"site": None, "pages": 0}
    domain = Entity.objects.get(investigation_id=ctx.investigation_id, kind="domain")
    assert domain.attributes["web_site"] is False
    assert (
        Relationship.objects.filter(investigation_id=ctx.investigation_id, kind="uses").count() == 0
    )
    assert any("closed the connection without answering" in note for note in ctx.notes)
