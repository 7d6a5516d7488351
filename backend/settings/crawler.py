"""The crawler's settings: what it may fetch, how long and how much, when a page is gone, and
the watchdog of running crawls. Imported by base.py; read through backend/wiring.py."""

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import envfloat, envint, envlist, envstr
from crawler.netguard import parse_allowed as parse_allowed_networks

# Networks (CIDR: every port) or host names (ports 80/443, or host:port) the crawler may
# fetch although they are private; see crawler/netguard.py for the exact rules. Empty: none,
# so a source can never make Lotse fetch from inside its own network.
CRAWLER_ALLOWED_NETWORKS = envlist("CRAWLER_ALLOWED_NETWORKS")
try:
    parse_allowed_networks(CRAWLER_ALLOWED_NETWORKS)
except ValueError as exc:
    raise ImproperlyConfigured(f"CRAWLER_ALLOWED_NETWORKS: {exc}.") from None
CRAWLER_USER_AGENT = envstr(
    "CRAWLER_USER_AGENT", "LotseBot/0.1 (self-hosted site search; +https://github.com/lotse)"
)
# CPU priority of a crawl process (nice, 0-19). A crawl mostly waits for the network; when
# it does compete for the cores (a fast local site), answers and indexing come first, and
# its pages do not pile up faster than they can be indexed (tests/bench/bench_scale.py).
CRAWLER_NICE = envint("CRAWLER_NICE", 10, minimum=0)
if CRAWLER_NICE > 19:
    raise ImproperlyConfigured("CRAWLER_NICE must lie within 0 and 19.")
# A crawl stops (incomplete) after this many seconds; the crawler queue's hard limit is above.
CRAWLER_TIME_LIMIT = envint("CRAWLER_TIME_LIMIT", 3 * 3600, minimum=10)
CRAWLER_MAX_RESPONSE_MB = envint("CRAWLER_MAX_RESPONSE_MB", 50, minimum=1)
CRAWLER_REQUEST_TIMEOUT = envfloat("CRAWLER_REQUEST_TIMEOUT", 30.0, minimum=1.0)
# The headless browser of sources that render pages (crawler.render), and a page's time limit.
CRAWLER_BROWSER = envstr("CRAWLER_BROWSER", "/usr/bin/chromium")
CRAWLER_RENDER_TIMEOUT = envfloat("CRAWLER_RENDER_TIMEOUT", 20.0, minimum=1.0)
# A MediaWiki page rendered by the wiki's parser: at most this large and this slow (a page of
# thousands of templates fails on its own; the crawl goes on).
CRAWLER_WIKI_MAX_PAGE_KB = envint("CRAWLER_WIKI_MAX_PAGE_KB", 5120, minimum=1)
CRAWLER_WIKI_PARSE_TIMEOUT = envfloat("CRAWLER_WIKI_PARSE_TIMEOUT", 60.0, minimum=1.0)
# A page no complete crawl reached is gone after this many complete crawls in a row.
CRAWLER_GONE_AFTER_MISSED_CRAWLS = envint("CRAWLER_GONE_AFTER_MISSED_CRAWLS", 2, minimum=1)
# A crawl in which more than this share of the known pages failed (5xx, timeouts) is
# incomplete and removes nothing.
CRAWLER_MAX_FAILED_SHARE = envfloat("CRAWLER_MAX_FAILED_SHARE", 0.1, minimum=0.0)
# A running crawl reports a heartbeat every HEARTBEAT seconds; the watchdog (every INTERVAL
# seconds) ends runs silent for longer than TIMEOUT: their worker or server died.
CRAWLER_HEARTBEAT_INTERVAL = envfloat("CRAWLER_HEARTBEAT_INTERVAL", 30.0, minimum=0.5)
CRAWLER_WATCHDOG_INTERVAL = envfloat("CRAWLER_WATCHDOG_INTERVAL", 60.0, minimum=1.0)
CRAWLER_WATCHDOG_TIMEOUT = envfloat("CRAWLER_WATCHDOG_TIMEOUT", 300.0, minimum=2.0)
if CRAWLER_WATCHDOG_TIMEOUT < 2 * CRAWLER_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured(
        "CRAWLER_WATCHDOG_TIMEOUT must be at least twice CRAWLER_HEARTBEAT_INTERVAL, or live "
        "crawls would be ended."
    )
