"""Start every replay server on free loopback ports and give the settings that point the
product at them."""

from typing import Any

from .github.server import GitHubReplay
from .rdap.server import RdapReplay
from .web.server import WebReplay
from .whois.server import WhoisReplay


class ReplayWorld:
    def __init__(self, host: str = "127.0.0.1"):
        self.github = GitHubReplay(host)
        self.rdap = RdapReplay(host)
        self.whois = WhoisReplay(host)
        self.web = WebReplay(host)
        self.servers = [self.github, self.rdap, self.whois, self.web]

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.github.url,
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
