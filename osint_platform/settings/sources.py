"""Where each outside source is reached. The defaults are the real public services; the
replay world used by the tests and the demo points these at loopback servers."""

from .env import env_bool, env_float, env_int, env_list, env_optional, env_str

GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com").rstrip("/")
GITHUB_TOKEN = env_optional("GITHUB_TOKEN")
# A primary rate limit whose reset is nearer than this is waited out inside the request;
# a later reset hands the work back to Celery to retry at the reset time.
GITHUB_RATE_LIMIT_MAX_WAIT = env_float("GITHUB_RATE_LIMIT_MAX_WAIT", 60.0)
# Contributor statistics answer 202 while GitHub computes them: ask again this many times.
GITHUB_STATS_ATTEMPTS = env_int("GITHUB_STATS_ATTEMPTS", 4)
GITHUB_STATS_BASE_DELAY = env_float("GITHUB_STATS_BASE_DELAY", 2.0)
# Bounds on what one target may cost: list pages followed and items kept per list.
GITHUB_MAX_PAGES = env_int("GITHUB_MAX_PAGES", 50)

MASTODON_URL_OVERRIDE = env_optional("MASTODON_URL_OVERRIDE")
BLUESKY_API_URL = env_str("BLUESKY_API_URL", "https://public.api.bsky.app").rstrip("/")
SITE_URL_OVERRIDE = env_optional("SITE_URL_OVERRIDE")
DNS_RESOLVERS = env_list("DNS_RESOLVERS", [])
# host:port that receives every WHOIS query instead of the registries' own servers.
WHOIS_SERVER = env_optional("WHOIS_SERVER")
# Seconds to wait for a WHOIS server to connect or send more, and for the whole answer;
# and the largest answer read (real ones are a few KB).
WHOIS_TIMEOUT = env_float("WHOIS_TIMEOUT", 10.0)
WHOIS_TOTAL_TIMEOUT = env_float("WHOIS_TOTAL_TIMEOUT", 30.0)
WHOIS_MAX_BYTES = env_int("WHOIS_MAX_BYTES", 256 * 1024)
# When set, every RDAP request goes to this base address with the original server's
# host and path after it: {RDAP_URL}/rdap.verisign.com/com/v1/domain/example.com.
RDAP_URL = env_optional("RDAP_URL")
CT_URL = env_str("CT_URL", "https://crt.sh").rstrip("/")
# When set, every web-site fetch goes to this address, with the site's host in the Host
# header and the scheme meant (http or https) in X-Forwarded-Proto.
WEB_URL_OVERRIDE = env_optional("WEB_URL_OVERRIDE")
# Limits on fetching a site: seconds to connect or wait for more, for the whole fetch
# including redirects; the largest page read; how many redirects are followed.
WEB_TIMEOUT = env_float("WEB_TIMEOUT", 10.0)
WEB_TOTAL_TIMEOUT = env_float("WEB_TOTAL_TIMEOUT", 30.0)
WEB_MAX_BYTES = env_int("WEB_MAX_BYTES", 2 * 1024 * 1024)
WEB_MAX_REDIRECTS = env_int("WEB_MAX_REDIRECTS", 5)
OUTBOUND_PROXY = env_optional("OUTBOUND_PROXY")
ALLOW_PRIVATE_ADDRESSES = env_bool("ALLOW_PRIVATE_ADDRESSES", False)

HTTP_USER_AGENT = env_str(
    "HTTP_USER_AGENT", "osint-platform/1.0 (+https://github.com/osint-platform/osint-platform)"
)
HTTP_CONNECT_TIMEOUT = env_float("HTTP_CONNECT_TIMEOUT", 10.0)
HTTP_READ_TIMEOUT = env_float("HTTP_READ_TIMEOUT", 30.0)
# The largest answer body read from any source; a larger one is cut off and flagged.
HTTP_MAX_BODY_BYTES = env_int("HTTP_MAX_BODY_BYTES", 10 * 1024 * 1024)
