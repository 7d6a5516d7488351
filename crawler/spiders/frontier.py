"""Which pages a crawl requests, and when: scope, limits, freshness, and the links held back
while robots.txt and sitemaps are being read.

Every URL the frontier turns down becomes one event in the per-URL log (or one count of
quiet skips); every one it lets through becomes a Request with the spider's callbacks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.events import Outcome, UrlEvent
from crawler.middlewares import META_STORED
from crawler.scope import InvalidURL, ScopeReason
from crawler.state import CrawlState

# Out-of-domain links and mailto: are on every page; logging each would drown the log.
QUIET_SCOPE_REASONS = frozenset({ScopeReason.OUT_OF_SCOPE_DOMAIN, ScopeReason.NOT_HTTP})
PAGE_STATUSES = [304, 404, 410]


class Frontier:
    def __init__(self, state: CrawlState, callback: Callable, errback: Callable):
        self.state = state
        self.callback = callback
        self.errback = errback
        self.pages_requested = 0
        self.quiet_skips = 0
        self.truncated = False
        self.aux_pending = 0  # robots.txt and sitemap requests not answered yet
        self._aux_idle: Deferred | None = None  # fired when aux_pending drops to 0
        # links of pages skipped for their sitemap lastmod, followed once all sitemaps are
        # read: a page they lead to may be listed (and skippable) in a sitemap not read yet
        self.held_links: list[tuple[str, int]] = []
        self.start_keys: set[str] = set()  # start URLs are asked at every crawl, fresh or not
        for url in state.config.start_urls:
            try:
                self.start_keys.add(state.scope.normalize(url))
            except InvalidURL:
                pass

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
        state, config = self.state, self.state.config
        try:
            key = state.scope.normalize(url)
        except InvalidURL:
            self.quiet_skips += 1
            return None
        if key in state.seen:
            return None
        state.seen.add(key)
        reason = state.scope.check(key, depth)
        if reason in QUIET_SCOPE_REASONS:
            self.quiet_skips += 1
            return None
        if reason is not ScopeReason.IN_SCOPE:
            return self.skip(key, reason.value, depth)
        if not config.follow_pdfs and urlsplit(key).path.lower().endswith(".pdf"):
            return self.skip(key, "pdf_disabled", depth)
        if self.pages_requested >= config.max_pages:
            self.truncated = True
            return self.skip(key, "max_pages", depth)
        self.pages_requested += 1
        request = Request(
            key,
            callback=self.callback,
            errback=self.errback,
            dont_filter=True,  # state.seen is the one duplicate filter, redirects included
            priority=-depth,  # breadth first, so max_pages keeps the shallow pages
            meta={"lotse_depth": depth, "lotse_key": key, "handle_httpstatus_list": PAGE_STATUSES},
        )
        if link_text:
            request.meta["lotse_link_text"] = link_text
        if config.revisit == "when_stale" and key not in self.start_keys:
            links = self._unchanged_while_fresh(request)
            if links is not None:
                if follow is None or self.aux_pending > 0:
                    self.held_links.extend(links)  # after the sitemaps (see held_links)
                else:
                    follow.extend(links)
                return None
        return request

    def skip(self, key: str, reason: str, depth: int) -> None:
        self.state.sink.url(UrlEvent(url=key, outcome=Outcome.SKIPPED, reason=reason, depth=depth))
        return None

    def _unchanged_while_fresh(self, request: Request) -> list[tuple[str, int]] | None:
        """The kept links of a page not requested because its copy is still fresh (logged
        unchanged, reason ``still_fresh``); None: request it. The stored copy then rides
        along in the request's meta, so the conditional GET needs no second lookup."""
        store, config = self.state.store, self.state.config
        stored = store.get_page(request.meta["lotse_key"])
        if stored is None:
            return None
        if not store.unchanged_while_fresh(
            stored,
            source_id=config.source_id,
            run_id=config.run_id,
            max_days=config.max_revisit_days,
        ):
            request.meta[META_STORED] = stored
            return None
        return self.vouched(request, stored, "still_fresh")

    def vouched(self, request: Request, stored: Any, reason: str) -> list[tuple[str, int]]:
        """Log a page taken as unchanged without a fetch; return its kept links."""
        depth = request.meta["lotse_depth"]
        self.state.sink.url(
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

    # -- robots.txt and sitemaps first -------------------------------------------------------

    def aux_answered(self) -> list[Request]:
        """One robots.txt or sitemap request is done; after the last, the held links go."""
        self.aux_pending -= 1
        if self.aux_pending > 0:
            return []
        if self._aux_idle is not None and not self._aux_idle.called:
            self._aux_idle.callback(None)  # start() goes on with the start URLs
        return self.release_held_links()

    async def aux_read(self, timeout_s: float) -> None:
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
