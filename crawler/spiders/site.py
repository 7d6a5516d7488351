"""The site spider: crawls one source's pages and PDFs, writes the page store and the log.

Thin on purpose: scope rules are in crawler.scope, page functions in crawler.pages, request
checks in crawler.middlewares. Which URLs it requests and when is the frontier
(crawler.spiders.frontier), what an answered page does to the store is
crawler.spiders.recording; this module reads robots.txt and sitemaps and connects the
callbacks. What it shares with the middlewares is the crawl's ``CrawlState``. Everything the
spider decides about a URL becomes exactly one event in the per-URL log (crawler.events).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.events import Outcome, UrlEvent
from crawler.failures import describe_failure
from crawler.middlewares import META_ROBOTS_PROBE, META_STORED
from crawler.pages import link_texts as link_texts_of
from crawler.pages import sitemap_urls
from crawler.render import renders
from crawler.render.browser import BrowserPool
from crawler.render.step import META_RENDER_NOTE, render_step
from crawler.retrying import RetryLater
from crawler.scope import InvalidURL, ScopeReason
from crawler.spiders.frontier import Frontier
from crawler.spiders.recording import record_answer
from crawler.state import CrawlState

logger = logging.getLogger(__name__)

# At most this long, a crawl waits for its sitemaps before it requests the first page.
SITEMAP_WAIT_S = 60.0


class SiteSpider(scrapy.Spider):
    name = "lotse_site"

    def __init__(self, state: CrawlState, **kwargs: Any):
        super().__init__(**kwargs)
        self.state = state
        # A source that renders pages sends each answer through the browser step first.
        self.browsers = BrowserPool(state.config, state.netguard) if renders(state) else None
        callback = self.parse_page if self.browsers is None else self.parse_rendered
        self.frontier = Frontier(state, callback, self.on_page_error)
        self.seen_sitemaps: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        if spider.browsers is not None:
            crawler.signals.connect(spider.close_browsers, signal=signals.spider_closed)
        return spider

    # -- requests ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        config, frontier = self.state.config, self.frontier
        self.state.sink.started(
            start_urls=list(config.start_urls), pid=os.getpid(), nice=os.nice(0)
        )
        for url in config.sitemap_urls:
            request = self.sitemap_request(url, require_scope=False)
            if request is not None:
                yield request
        if config.trust_sitemap_lastmod:
            # Sitemaps before pages: a page requested before its sitemap entry is read cannot
            # be skipped for its lastmod any more, and on a recrawl most of them can be.
            if config.use_robots_sitemaps:
                for request in self.robots_requests():
                    yield request
            await frontier.aux_read(SITEMAP_WAIT_S)
            for request in frontier.release_held_links():
                yield request
        for request in frontier.page_requests((url, 0) for url in config.start_urls):
            yield request

    def robots_requests(self) -> list[Request]:
        """A probe per start host that only makes Scrapy's robots middleware read robots.txt
        now; ``on_robots`` then requests its sitemaps. The probe itself is never sent."""
        requests, roots = [], set()
        for url in self.state.config.start_urls:
            parts = urlsplit(url)
            root = f"{parts.scheme}://{parts.netloc}"
            if parts.scheme in ("http", "https") and root not in roots:
                roots.add(root)
                self.frontier.aux_pending += 1
                requests.append(
                    Request(
                        root + "/robots.txt",
                        callback=self.on_robots_probe,
                        errback=self.on_robots_probe,
                        dont_filter=True,
                        priority=20,
                        meta={"lotse_aux": True, META_ROBOTS_PROBE: True},
                    )
                )
        return requests

    def on_robots_probe(self, _: Any) -> list[Request]:
        return self.frontier.aux_answered()

    def sitemap_request(self, url: str, *, require_scope: bool = True) -> Request | None:
        scope = self.state.scope
        try:
            key = scope.normalize(url)
        except InvalidURL:
            return None
        if key in self.seen_sitemaps:
            return None
        if require_scope and scope.check(key) is ScopeReason.OUT_OF_SCOPE_DOMAIN:
            logger.info("ignoring sitemap outside the source's domains: %s", key)
            return None
        self.seen_sitemaps.add(key)
        self.frontier.aux_pending += 1
        return Request(
            key,
            callback=self.parse_sitemap,
            errback=self.on_sitemap_error,
            dont_filter=True,
            priority=10,  # sitemaps first: they list the pages in scope
            meta={"lotse_aux": True},
        )

    # -- robots.txt ----------------------------------------------------------------------

    def on_robots(self, robotparser: Any, request: Request, **_: Any) -> None:
        """Crawl-delay and Sitemap lines of a host's robots.txt (Scrapy parsed it already)."""
        config = self.state.config
        host = urlsplit(request.url).hostname or ""
        agent = self.settings.get("ROBOTSTXT_USER_AGENT") or config.user_agent
        delay = robotparser.crawl_delay(agent) if hasattr(robotparser, "crawl_delay") else None
        if delay:
            capped = min(float(delay), config.max_crawl_delay_s)
            # crawler.politeness reads it for every request to the host from now on.
            self.state.host_delays[host] = max(config.download_delay, capped)
            logger.info("robots.txt of %s asks for %.1fs between requests", host, capped)
        if not config.use_robots_sitemaps:
            return
        for url in getattr(getattr(robotparser, "rp", None), "sitemaps", ()):
            sitemap = self.sitemap_request(url)
            if sitemap is not None:
                self.crawler.engine.crawl(sitemap)

    # -- sitemaps ------------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> list[Request]:
        try:
            requests = self._sitemap_requests(response)
        except Exception:
            self.frontier.aux_answered()
            raise
        return requests + self.frontier.aux_answered()

    def _sitemap_requests(self, response: Response) -> list[Request]:
        kind, entries = sitemap_urls(response.body)
        self.state.sink.sitemap(response.url, status=response.status, kind=kind, urls=len(entries))
        requests: list[Request] = []
        for entry in entries:
            if kind == "sitemapindex":
                request = self.sitemap_request(entry.loc)
            else:
                request = self.frontier.page_request(entry.loc, depth=0)
                if request is not None and entry.lastmod is not None:
                    followed = self._unchanged_per_sitemap(request, entry.lastmod)
                    if followed is not None:
                        requests.extend(followed)
                        continue
            if request is not None:
                requests.append(request)
        return requests

    def _unchanged_per_sitemap(self, request: Request, lastmod: datetime) -> list[Request] | None:
        """Skip the fetch of a page whose sitemap lastmod is older than the copy the server
        last confirmed: log it unchanged and hold its kept links (see ``held_links``). None:
        fetch it after all (no usable copy, or one confirmed too long ago to trust lastmod)."""
        config = self.state.config
        if not config.trust_sitemap_lastmod:
            return None
        stored = self.state.store.unchanged_per_sitemap(
            request.meta["lotse_key"],
            source_id=config.source_id,
            run_id=config.run_id,
            lastmod=lastmod,
            trust_days=config.sitemap_trust_days,
        )
        if stored is None:
            return None
        self.frontier.held_links.extend(self.frontier.vouched(request, stored, "sitemap_lastmod"))
        return []

    def on_sitemap_error(self, failure: Failure) -> list[Request]:
        if failure.check(RetryLater):
            return []  # asked again later (crawler.retrying); still pending
        _, reason, status = describe_failure(failure)
        self.state.sink.sitemap(failure.request.url, status=status, kind="", urls=0, reason=reason)
        self.state.completeness.needed_fetch_failed("sitemap", failure.request.url, reason, status)
        return self.frontier.aux_answered()

    # -- pages ---------------------------------------------------------------------------

    async def parse_rendered(self, response: Response) -> list[Request]:
        """``parse_page`` of the response the render step gives (crawler.render.step)."""
        answer = await render_step(self.state, self.browsers, response)
        return [] if answer is None else self.parse_page(answer)

    async def close_browsers(self, spider: scrapy.Spider) -> None:
        await self.browsers.close()

    def parse_page(self, response: Response) -> list[Request]:
        # A list, not a generator: Scrapy inspects the source of generator callbacks on
        # every response (warn_on_generator_with_return_value), a measurable cost per page.
        depth = response.meta["lotse_depth"]
        requested = response.meta["lotse_key"]
        self.state.completeness.page_answered(known=META_STORED in response.meta)
        try:
            key = self.state.scope.normalize(response.url)
        except InvalidURL:
            key = requested
        event = UrlEvent(
            url=key,
            outcome=Outcome.FAILED,
            status=response.status,
            depth=depth,
            requested_url=requested if key != requested else "",
            link_text=response.meta.get("lotse_link_text", ""),
        )
        try:
            links = record_answer(self.state, response, key, event)
        except Exception as exc:  # a store failure loses this URL, not the crawl
            logger.exception("cannot store %s", key)
            event.outcome, event.reason = Outcome.FAILED, f"store_error: {exc}"
            links = None
        note = response.meta.get(META_RENDER_NOTE)
        if note:  # how the render step changed the answer (crawler.render.step)
            # (its stand-in 304 is the store's "not_modified"; "noindex" and the like stay)
            kept = event.reason if event.reason != "not_modified" else ""
            event.reason = "; ".join(r for r in (note, kept) if r)[:300]
            event.status = 200
        self.state.sink.url(event)
        if not links or event.kind != "html":
            return []
        texts = link_texts_of(response)
        return self.frontier.page_requests((link, depth + 1, texts.get(link, "")) for link in links)

    def on_page_error(self, failure: Failure) -> None:
        if failure.check(RetryLater):
            return  # asked again later (crawler.retrying); logged when it is answered
        request, state = failure.request, self.state
        requested = request.meta.get("lotse_key", request.url)
        try:
            key = state.scope.normalize(request.url)
        except InvalidURL:
            key = request.url
        outcome, reason, status = describe_failure(failure)
        if outcome is Outcome.FAILED:
            state.completeness.page_failed(
                known=META_STORED in request.meta, reason=reason, status=status
            )
            if requested in self.frontier.start_keys:
                state.completeness.needed_fetch_failed("start_url", requested, reason, status)
        state.sink.url(
            UrlEvent(
                url=key,
                outcome=outcome,
                reason=reason,
                status=status,
                depth=request.meta.get("lotse_depth", 0),
                requested_url=requested if key != requested else "",
            )
        )

    # -- end -----------------------------------------------------------------------------

    def on_idle(self, spider: scrapy.Spider) -> None:
        if len(self.state.retries):
            # Nothing to do now, but retries are waiting outside Scrapy (crawler.retrying).
            raise DontCloseSpider

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        # Retries still waiting (a time limit, a cancel) get their last answer logged.
        for request, error in self.state.retries.cancel_all():
            failure = Failure(error)
            failure.request = request
            request.errback(failure)
        frontier, completeness = self.frontier, self.state.completeness
        # Complete only if the frontier ran dry: unseen pages may then be treated as gone.
        # And only if the site answered (crawler.completeness): a site that is down is not empty.
        complete, finish_reason = completeness.verdict(
            reason == "finished" and not frontier.truncated,
            "max_pages" if reason == "finished" and frontier.truncated else reason,
        )
        self.state.sink.finished(
            complete=complete,
            finish_reason=finish_reason,
            pages_requested=frontier.pages_requested,
            quiet_skips=frontier.quiet_skips,
            **completeness.report(),
        )
