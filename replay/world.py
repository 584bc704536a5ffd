"""Start every replay server on free loopback ports and give the settings that point the
product at them."""

from typing import Any

from .bluesky.server import BlueskyReplay
from .ct.server import CtReplay
from .dns.server import DnsReplay
from .github.server import GitHubReplay
from .mastodon.server import MastodonReplay
from .rdap.server import RdapReplay
from .sites.world import SITE_TIMEOUT, demo_simulation
from .web.server import WebReplay
from .whois.server import WhoisReplay


class ReplayWorld:
    def __init__(self, host: str = "127.0.0.1"):
        self.github = GitHubReplay(host)
        self.mastodon = MastodonReplay(host)
        self.bluesky = BlueskyReplay(host)
        self.sites = demo_simulation()
        self.dns = DnsReplay(host)
        self.ct = CtReplay(host)
        self.rdap = RdapReplay(host)
        self.whois = WhoisReplay(host)
        self.web = WebReplay(host)
        self.servers = [
            self.github, self.mastodon, self.bluesky, self.sites,
            self.dns, self.ct, self.rdap, self.whois, self.web,
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.github.url,
            "MASTODON_URL_OVERRIDE": self.mastodon.url,
            "BLUESKY_API_URL": self.bluesky.url,
            "SITE_URL_OVERRIDE": self.sites.url,
            # The simulation's slow site answers after this; the demo need not wait longer.
            "USERNAME_SITE_TIMEOUT": str(SITE_TIMEOUT),
            # One loopback server is both the resolver and every domain's name server.
            "DNS_RESOLVERS": self.dns.address,
            "DNS_NAMESERVER_OVERRIDE": self.dns.address,
            "CT_URL": self.ct.url,
            "RDAP_URL": self.rdap.url,
            "WHOIS_SERVER": self.whois.address,
            "WEB_URL_OVERRIDE": self.web.url,
            # The replay world lives on loopback, which the product refuses by default.
            "ALLOW_PRIVATE_ADDRESSES": "1",
        }

    def start(self) -> "ReplayWorld":
        for server in self.servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def __enter__(self) -> "ReplayWorld":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
