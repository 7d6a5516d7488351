"""What one crawl's spider and downloader middlewares share: ``CrawlState``.

Built once per crawl by the crawl process (crawler.child) and handed to Scrapy in the
crawl's settings under ``STATE_SETTING``; components get it with ``CrawlState.of(crawler)``
in their ``from_crawler``, the spider as its argument. So no middleware reads the running
spider's attributes, and what a request check may read or change is the list of fields below.

The fields never change after the start; some are containers the crawl fills as it goes
(``seen``, ``host_delays``, the retries waiting in ``retries``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.completeness import CompletenessTracker
from crawler.config import CrawlConfig
from crawler.events import EventSink
from crawler.netguard import NetGuard
from crawler.retrying import WaitingRetries
from crawler.scope import Scope

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.store import PageStore

STATE_SETTING = "LOTSE_CRAWL_STATE"


class CrawlStateMissing(LookupError):
    """A Lotse component was loaded by a crawl that has no CrawlState in its settings."""


@dataclass(frozen=True, eq=False)
class CrawlState:
    """One crawl's shared state; compared and hashed by identity (there is one per crawl)."""

    config: CrawlConfig
    store: PageStore
    sink: EventSink
    scope: Scope
    netguard: NetGuard
    completeness: CompletenessTracker
    # the retries waiting for their Retry-After or backoff outside Scrapy's slots
    retries: WaitingRetries
    # normalised page URLs already requested (redirect targets included): the one
    # duplicate filter of the crawl
    seen: set[str] = field(default_factory=set)
    # host -> seconds between request starts, from its robots.txt Crawl-delay
    host_delays: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        config: CrawlConfig,
        store: PageStore,
        sink: EventSink,
        netguard: NetGuard | None = None,
    ) -> CrawlState:
        return cls(
            config=config,
            store=store,
            sink=sink,
            scope=Scope.from_config(config),
            netguard=netguard or NetGuard(config.allowed_networks),
            completeness=CompletenessTracker(config.max_failed_share),
            retries=WaitingRetries(),
        )

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlState:
        state = crawler.settings.get(STATE_SETTING)
        if not isinstance(state, cls):
            raise CrawlStateMissing(f"the crawl's settings have no {STATE_SETTING}")
        return state

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlState:
        # Scrapy deep-copies the settings for each crawler; the state is shared on purpose
        # (and holds a store connection, which cannot be copied).
        return self

    def robots_failed(self, url: str, reason: str, status: int | None) -> None:
        """A robots.txt could not be read (crawler.middlewares.RobotsReportMiddleware); a start
        host's makes the crawl incomplete (its Sitemap lines are unknown)."""
        self.sink.robots(url, status=status, reason=reason)
        if urlsplit(url).netloc in {urlsplit(s).netloc for s in self.config.start_urls}:
            self.completeness.needed_fetch_failed("robots", url, reason, status)
