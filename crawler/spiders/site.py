"""The site spider: crawls one source's pages and PDFs, writes the page store and the log.

Thin on purpose: scope rules are in crawler.scope, page functions in crawler.pages, request
checks in crawler.middlewares. Everything the spider decides about a URL becomes exactly one
event in the per-URL log (crawler.events).
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.completeness import CompletenessTracker
from crawler.config import CrawlConfig
from crawler.events import EventSink, Outcome, UrlEvent
from crawler.failures import describe_failure
from crawler.middlewares import META_ROBOTS_PROBE, META_STORED
from crawler.netguard import NetGuard
from crawler.pages import classify_body, links_of, media_type, robots_meta, sitemap_urls
from crawler.pages import link_texts as link_texts_of
from crawler.pages import title_of as page_title
from crawler.scope import InvalidURL, Scope, ScopeReason
from crawler.store import ChangeKind, PageStore, content_hash_of

logger = logging.getLogger(__name__)

# Out-of-domain links and mailto: are on every page; logging each would drown the log.
QUIET_SCOPE_REASONS = frozenset({ScopeReason.OUT_OF_SCOPE_DOMAIN, ScopeReason.NOT_HTTP})
PAGE_STATUSES = [304, 404, 410]
# At most this long, a crawl waits for its sitemaps before it requests the first page.
SITEMAP_WAIT_S = 60.0
CHANGE_OUTCOMES = {
    ChangeKind.NEW: Outcome.FETCHED_NEW,
    ChangeKind.CHANGED: Outcome.FETCHED_CHANGED,
    ChangeKind.UNCHANGED: Outcome.UNCHANGED,
}


class SiteSpider(scrapy.Spider):
    name = "lotse_site"

    def __init__(
        self,
        config: CrawlConfig,
        store: PageStore,
        sink: EventSink,
        netguard: NetGuard | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.config = config
        self.store = store
        self.sink = sink
        self.scope = Scope.from_config(config)
        self.netguard = netguard or NetGuard(config.allowed_networks)
        self.seen: set[str] = set()  # normalised page URLs already requested
        self.seen_sitemaps: set[str] = set()
        self.host_delays: dict[str, float] = {}
        self.pages_requested = 0
        self.quiet_skips = 0
        self.truncated = False
        self.aux_pending = 0  # robots.txt and sitemap requests not answered yet
        self._aux_idle: Deferred | None = None  # fired when aux_pending drops to 0
        # links of pages skipped for their sitemap lastmod, followed once all sitemaps are
        # read: a page they lead to may be listed (and skippable) in a sitemap not read yet
        self.held_links: list[tuple[str, int]] = []
        self.start_keys = set()  # start URLs are asked at every crawl, fresh or not
        self.completeness = CompletenessTracker(config.max_failed_share)
        for url in config.start_urls:
            try:
                self.start_keys.add(self.scope.normalize(url))
            except InvalidURL:
                pass

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # -- requests ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        config = self.config
        self.sink.started(start_urls=list(config.start_urls), pid=os.getpid())
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
            await self._sitemaps_read(SITEMAP_WAIT_S)
            for request in self.release_held_links():
                yield request
        for request in self.page_requests((url, 0) for url in config.start_urls):
            yield request

    def page_requests(self, links: Iterable[tuple]) -> list[Request]:
        """Requests for (url, depth) or (url, depth, link text) tuples; the links of pages not
        requested because their copy is still fresh are followed in turn (iteratively: a site
        can be one long chain)."""
        work = deque(links)
        follow: list[tuple[str, int]] = []
        requests = []
        while work:
            url, depth, *text = work.popleft()
            request = self.page_request(url, depth, follow, link_text=text[0] if text else "")
            if request is not None:
                requests.append(request)
            if follow:
                work.extend(follow)
                follow.clear()
        return requests

    def page_request(
        self, url: str, depth: int, follow: list | None = None, link_text: str = ""
    ) -> Request | None:
        """A request for a page, or None with the reason logged (once per URL). A page that
        is not requested because its copy is still fresh adds its links to ``follow`` (or to
        the held links while sitemaps are being read)."""
        try:
            key = self.scope.normalize(url)
        except InvalidURL:
            self.quiet_skips += 1
            return None
        if key in self.seen:
            return None
        self.seen.add(key)
        reason = self.scope.check(key, depth)
        if reason in QUIET_SCOPE_REASONS:
            self.quiet_skips += 1
            return None
        if reason is not ScopeReason.IN_SCOPE:
            return self._skip(key, reason.value, depth)
        if not self.config.follow_pdfs and urlsplit(key).path.lower().endswith(".pdf"):
            return self._skip(key, "pdf_disabled", depth)
        if self.pages_requested >= self.config.max_pages:
            self.truncated = True
            return self._skip(key, "max_pages", depth)
        self.pages_requested += 1
        request = Request(
            key,
            callback=self.parse_page,
            errback=self.on_page_error,
            dont_filter=True,  # self.seen is the one duplicate filter, redirects included
            priority=-depth,  # breadth first, so max_pages keeps the shallow pages
            meta={"lotse_depth": depth, "lotse_key": key, "handle_httpstatus_list": PAGE_STATUSES},
        )
        if link_text:
            request.meta["lotse_link_text"] = link_text
        if self.config.revisit == "when_stale" and key not in self.start_keys:
            links = self._unchanged_while_fresh(request)
            if links is not None:
                if follow is None or self.aux_pending > 0:
                    self.held_links.extend(links)  # after the sitemaps (see held_links)
                else:
                    follow.extend(links)
                return None
        return request

    def robots_requests(self) -> list[Request]:
        """A probe per start host that only makes Scrapy's robots middleware read robots.txt
        now; ``on_robots`` then requests its sitemaps. The probe itself is never sent."""
        requests, roots = [], set()
        for url in self.config.start_urls:
            parts = urlsplit(url)
            root = f"{parts.scheme}://{parts.netloc}"
            if parts.scheme in ("http", "https") and root not in roots:
                roots.add(root)
                self.aux_pending += 1
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
        return self.aux_answered()

    def aux_answered(self) -> list[Request]:
        """One robots.txt or sitemap request is done; after the last, the held links go."""
        self.aux_pending -= 1
        if self.aux_pending > 0:
            return []
        if self._aux_idle is not None and not self._aux_idle.called:
            self._aux_idle.callback(None)  # start() goes on with the start URLs
        return self.release_held_links()

    async def _sitemaps_read(self, timeout_s: float) -> None:
        """Wait until robots.txt and every sitemap found so far are answered, at most
        ``timeout_s``."""
        if self.aux_pending <= 0:
            return
        from twisted.internet import reactor

        self._aux_idle = Deferred()
        timer = reactor.callLater(timeout_s, self._aux_idle.callback, None)
        await maybe_deferred_to_future(self._aux_idle)
        if timer.active():
            timer.cancel()

    def release_held_links(self) -> list[Request]:
        held, self.held_links = self.held_links, []
        return self.page_requests(held)

    def sitemap_request(self, url: str, *, require_scope: bool = True) -> Request | None:
        try:
            key = self.scope.normalize(url)
        except InvalidURL:
            return None
        if key in self.seen_sitemaps:
            return None
        if require_scope and self.scope.check(key) is ScopeReason.OUT_OF_SCOPE_DOMAIN:
            logger.info("ignoring sitemap outside the source's domains: %s", key)
            return None
        self.seen_sitemaps.add(key)
        self.aux_pending += 1
        return Request(
            key,
            callback=self.parse_sitemap,
            errback=self.on_sitemap_error,
            dont_filter=True,
            priority=10,  # sitemaps first: they list the pages in scope
            meta={"lotse_aux": True},
        )

    def _skip(self, key: str, reason: str, depth: int) -> None:
        self.sink.url(UrlEvent(url=key, outcome=Outcome.SKIPPED, reason=reason, depth=depth))
        return None

    # -- robots.txt ----------------------------------------------------------------------

    def on_robots(self, robotparser: Any, request: Request, **_: Any) -> None:
        """Crawl-delay and Sitemap lines of a host's robots.txt (Scrapy parsed it already)."""
        host = urlsplit(request.url).hostname or ""
        agent = self.settings.get("ROBOTSTXT_USER_AGENT") or self.config.user_agent
        delay = robotparser.crawl_delay(agent) if hasattr(robotparser, "crawl_delay") else None
        if delay:
            capped = min(float(delay), self.config.max_crawl_delay_s)
            # crawler.politeness reads it for every request to the host from now on.
            self.host_delays[host] = max(self.config.download_delay, capped)
            logger.info("robots.txt of %s asks for %.1fs between requests", host, capped)
        if not self.config.use_robots_sitemaps:
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
            self.aux_answered()
            raise
        return requests + self.aux_answered()

    def _sitemap_requests(self, response: Response) -> list[Request]:
        kind, entries = sitemap_urls(response.body)
        self.sink.sitemap(response.url, status=response.status, kind=kind, urls=len(entries))
        requests: list[Request] = []
        for entry in entries:
            if kind == "sitemapindex":
                request = self.sitemap_request(entry.loc)
            else:
                request = self.page_request(entry.loc, depth=0)
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
        config = self.config
        if not config.trust_sitemap_lastmod:
            return None
        key = request.meta["lotse_key"]
        stored = self.store.unchanged_per_sitemap(
            key,
            source_id=config.source_id,
            run_id=config.run_id,
            lastmod=lastmod,
            trust_days=config.sitemap_trust_days,
        )
        if stored is None:
            return None
        self.held_links.extend(self._vouched(request, stored, "sitemap_lastmod"))
        return []

    def _unchanged_while_fresh(self, request: Request) -> list[tuple[str, int]] | None:
        """The kept links of a page not requested because its copy is still fresh (logged
        unchanged, reason ``still_fresh``); None: request it. The stored copy then rides
        along in the request's meta, so the conditional GET needs no second lookup."""
        config = self.config
        stored = self.store.get_page(request.meta["lotse_key"])
        if stored is None:
            return None
        if not self.store.unchanged_while_fresh(
            stored,
            source_id=config.source_id,
            run_id=config.run_id,
            max_days=config.max_revisit_days,
        ):
            request.meta[META_STORED] = stored
            return None
        return self._vouched(request, stored, "still_fresh")

    def _vouched(self, request: Request, stored, reason: str) -> list[tuple[str, int]]:
        """Log a page taken as unchanged without a fetch; return its kept links."""
        depth = request.meta["lotse_depth"]
        self.sink.url(
            UrlEvent(
                url=request.meta["lotse_key"],
                outcome=Outcome.UNCHANGED,
                reason=reason,
                depth=depth,
                content_type=stored.content_type,
                content_hash=stored.content_hash,
                title=stored.title,
                kind=stored.kind,
            )
        )
        return [(link, depth + 1) for link in stored.links or ()]

    def on_sitemap_error(self, failure: Failure) -> list[Request]:
        _, reason, status = describe_failure(failure)
        self.sink.sitemap(failure.request.url, status=status, kind="", urls=0, reason=reason)
        self.completeness.needed_fetch_failed("sitemap", failure.request.url, reason, status)
        return self.aux_answered()

    def robots_failed(self, url: str, reason: str, status: int | None) -> None:
        """A robots.txt could not be read (crawler.middlewares.RobotsReportMiddleware); a start
        host's makes the crawl incomplete (its Sitemap lines are unknown)."""
        self.sink.robots(url, status=status, reason=reason)
        if urlsplit(url).netloc in {urlsplit(start).netloc for start in self.config.start_urls}:
            self.completeness.needed_fetch_failed("robots", url, reason, status)

    # -- pages ---------------------------------------------------------------------------

    def parse_page(self, response: Response) -> list[Request]:
        # A list, not a generator: Scrapy inspects the source of generator callbacks on
        # every response (warn_on_generator_with_return_value), a measurable cost per page.
        depth = response.meta["lotse_depth"]
        requested = response.meta["lotse_key"]
        self.completeness.page_answered(known=META_STORED in response.meta)
        try:
            key = self.scope.normalize(response.url)
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
            links = self._record(response, key, event)
        except Exception as exc:  # a store failure loses this URL, not the crawl
            logger.exception("cannot store %s", key)
            event.outcome, event.reason = Outcome.FAILED, f"store_error: {exc}"
            links = None
        self.sink.url(event)
        if not links or event.kind != "html":
            return []
        texts = link_texts_of(response)
        return self.page_requests((link, depth + 1, texts.get(link, "")) for link in links)

    def _record(self, response: Response, key: str, event: UrlEvent) -> list[str] | None:
        """Store the fetch, fill in ``event``; return the links to follow."""
        status = response.status
        config = self.config
        if status in (404, 410):
            self.store.mark_gone(key, status=status, run_id=config.run_id)
            event.outcome, event.reason = Outcome.GONE, f"http_{status}"
            return None
        if status == 304:
            self.store.record_fetch(
                key,
                source_id=config.source_id,
                status=status,
                not_modified=True,
                run_id=config.run_id,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
                **_caching_headers(response),
            )
            stored = response.meta.get(META_STORED)
            if stored is None or stored.url != key:
                stored = self.store.get_page(key)
            event.outcome, event.reason = Outcome.UNCHANGED, "not_modified"
            event.content_type, event.content_hash = stored.content_type, stored.content_hash
            event.title = stored.title
            # Links of an unchanged page still count: without them a recrawl would stop here
            # and every page behind it would look unseen. Kept with the page since its last
            # body; a copy stored without them is parsed once more.
            if stored.kind and (stored.links is not None or stored.kind != "html"):
                event.kind = stored.kind
                return list(stored.links or ())
            body = self.store.load_body(key) or b""
            event.kind = classify_body(stored.content_type, key, body[:1024])
            if event.kind != "html":
                return None
            return _links_to_follow(
                HtmlResponse(key, body=body, headers={"Content-Type": stored.content_type})
            )

        content_type = media_type(response)
        kind = classify_body(content_type, key, response.body[:1024])
        event.content_type, event.kind = content_type, kind
        if not kind:
            event.outcome, event.reason = Outcome.SKIPPED, "unsupported_content_type"
            return None
        if kind == "pdf" and not config.follow_pdfs:
            event.outcome, event.reason = Outcome.SKIPPED, "pdf_disabled"
            return None
        directives = robots_meta(response) if kind == "html" else set()
        links = _links_to_follow(response, directives) if kind == "html" else None
        if "noindex" in directives or "none" in directives:
            had_copy = self.store.mark_gone(key, status=status, run_id=config.run_id)
            event.outcome = Outcome.GONE if had_copy else Outcome.SKIPPED
            event.reason = "noindex"
            return links
        event.title = page_title(response) if kind == "html" else ""
        change = self.store.record_fetch(
            key,
            source_id=config.source_id,
            status=status,
            body=response.body,
            content_type=content_type,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            **_caching_headers(response),
            title=event.title,
            run_id=config.run_id,
            page_kind=kind,
            links=links,
        )
        event.outcome = CHANGE_OUTCOMES[change]
        event.content_hash = content_hash_of(response.body)
        return links

    def on_page_error(self, failure: Failure) -> None:
        request = failure.request
        requested = request.meta.get("lotse_key", request.url)
        try:
            key = self.scope.normalize(request.url)
        except InvalidURL:
            key = request.url
        outcome, reason, status = describe_failure(failure)
        if outcome is Outcome.FAILED:
            self.completeness.page_failed(
                known=META_STORED in request.meta, reason=reason, status=status
            )
            if requested in self.start_keys:
                self.completeness.needed_fetch_failed("start_url", requested, reason, status)
        self.sink.url(
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

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        # Complete only if the frontier ran dry: unseen pages may then be treated as gone.
        # And only if the site answered (crawler.completeness): a site that is down is not empty.
        complete, finish_reason = self.completeness.verdict(
            reason == "finished" and not self.truncated,
            "max_pages" if reason == "finished" and self.truncated else reason,
        )
        self.sink.finished(
            complete=complete,
            finish_reason=finish_reason,
            pages_requested=self.pages_requested,
            quiet_skips=self.quiet_skips,
            **self.completeness.report(),
        )


def _links_to_follow(response: Response, directives: set[str] | None = None) -> list[str]:
    """The page's links, or none when its robots meta says nofollow."""
    if directives is None:
        directives = robots_meta(response)
    if {"nofollow", "none"} & directives:
        return []
    return links_of(response)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _caching_headers(response: Response) -> dict[str, str | None]:
    """The headers that say how long a copy stays fresh (crawler.freshness)."""
    cache_control = b", ".join(response.headers.getlist(b"Cache-Control"))
    return {
        "cache_control": cache_control.decode("latin-1") if cache_control else None,
        "expires": _header(response, b"Expires"),
        "date": _header(response, b"Date"),
    }
