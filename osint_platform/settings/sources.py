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
DNS_RESOLVERS = env_list("DNS_RESOLVERS", [])  # host:port, comma separated; empty: resolv.conf
# Seconds to wait for one answer, and for one question across every resolver and retry.
DNS_TIMEOUT = env_float("DNS_TIMEOUT", 2.0)
DNS_LIFETIME = env_float("DNS_LIFETIME", 6.0)
# Send every question meant for a domain's own name servers (zone transfers) to this
# host:port instead of the address the name server's name resolves to.
DNS_NAMESERVER_OVERRIDE = env_optional("DNS_NAMESERVER_OVERRIDE")
DNS_TRANSFER_TIMEOUT = env_float("DNS_TRANSFER_TIMEOUT", 10.0)
DNS_TRANSFER_MAX_RECORDS = env_int("DNS_TRANSFER_MAX_RECORDS", 100_000)
# Subdomain brute force: which shipped wordlist (top-5000, top-20000, namelist), how many
# of its words, and how many questions in flight. 200 in flight keeps a public resolver
# well below the rates at which they start to refuse.
SUBDOMAIN_WORDLIST = env_str("SUBDOMAIN_WORDLIST", "top-5000")
SUBDOMAIN_WORDLIST_SIZE = env_int("SUBDOMAIN_WORDLIST_SIZE", 5000)
DNS_BRUTEFORCE_CONCURRENCY = env_int("DNS_BRUTEFORCE_CONCURRENCY", 200)
DNS_BRUTEFORCE_TIMEOUT = env_float("DNS_BRUTEFORCE_TIMEOUT", 1.5)
DNS_BRUTEFORCE_ATTEMPTS = env_int("DNS_BRUTEFORCE_ATTEMPTS", 3)
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
# crt.sh takes long over large domains; its answers are waited for longer than others.
CT_READ_TIMEOUT = env_float("CT_READ_TIMEOUT", 90.0)
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

# Username enumeration across the site manifest (scraping/data/sites.json).
# Checks in flight at once per worker; each holds at most one connection.
USERNAME_CONCURRENCY = env_int("USERNAME_CONCURRENCY", 200)
# One site's check, redirects and body included, ends within this many seconds ("unknown").
USERNAME_SITE_TIMEOUT = env_float("USERNAME_SITE_TIMEOUT", 10.0)
# The whole run for one username ends within this bound; checks still open then are
# "unknown" with the reason. See scraping/usernames/checker.py for how it is reached.
USERNAME_RUN_TIMEOUT = env_float("USERNAME_RUN_TIMEOUT", 120.0)
# The most of one profile page read; detection strings sit near the top of real pages.
USERNAME_MAX_BODY_BYTES = env_int("USERNAME_MAX_BODY_BYTES", 1024 * 1024)
# Another manifest in the same format, and a restriction to some site ids or tags.
USERNAME_SITES_FILE = env_optional("USERNAME_SITES_FILE")
USERNAME_SITES = env_list("USERNAME_SITES", [])
USERNAME_SITE_TAGS = env_list("USERNAME_SITE_TAGS", [])
USERNAME_INCLUDE_NSFW = env_bool("USERNAME_INCLUDE_NSFW", True)
# A site found answering "found" for a random name stays marked that long.
USERNAME_CONTROL_CACHE_SECONDS = env_int("USERNAME_CONTROL_CACHE_SECONDS", 6 * 3600)

# Mastodon and Bluesky: pages of recent posts read per profile, and their size.
MASTODON_MAX_PAGES = env_int("MASTODON_MAX_PAGES", 5)
MASTODON_PAGE_SIZE = env_int("MASTODON_PAGE_SIZE", 40)
BLUESKY_MAX_PAGES = env_int("BLUESKY_MAX_PAGES", 5)
BLUESKY_PAGE_SIZE = env_int("BLUESKY_PAGE_SIZE", 100)
