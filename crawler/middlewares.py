"""Scrapy downloader middlewares: SSRF guard, redirect scope, conditional GET, retries.

Per-host delay and concurrency are in crawler.politeness.

Each one reads the crawl's shared state (``crawler.state.CrawlState``, from the crawl's
settings), so the rules live in one place and every request — the first one and each
redirect hop — passes them. Orders are set in ``crawler.settings``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.events import Outcome
from crawler.retrying import RetryLater
from crawler.scope import DEFAULT_PORTS, InvalidURL, ScopeReason
from crawler.state import CrawlState
from rag.retry import RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")
META_STORED = "lotse_stored_page"
META_ROBOTS_PROBE = "lotse_robots_probe"


class SkipRequest(IgnoreRequest):
    """A request the crawl decided not to make; ``reason`` goes into the per-URL log."""

    def __init__(self, reason: str, outcome: Outcome = Outcome.SKIPPED):
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome


class _SharedState:
    def __init__(self, crawler: Crawler, state: CrawlState):
        self.crawler = crawler
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler, CrawlState.of(crawler))


class NetGuardMiddleware(_SharedState):
    """Refuse hosts that resolve to non-public addresses, on every request and redirect hop."""

    def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:  # a port that is not a number: no connection will be made
            raise SkipRequest("refused_address: invalid port") from None
        decision = self.state.netguard.check(parts.hostname or "", port)
        if not decision.allowed:
            raise SkipRequest(f"refused_address: {decision.reason}")


class RedirectScopeMiddleware(_SharedState):
    """A redirect may not leave the source's scope nor fetch a URL the crawl already has."""

    def process_request(self, request: Request) -> None:
        if not request.meta.get("redirect_urls") or request.meta.get("lotse_aux"):
            return
        state = self.state
        # Validators of the first URL say nothing about the redirect target.
        for header in CONDITIONAL_HEADERS:
            request.headers.pop(header, None)
        try:
            key = state.scope.normalize(request.url)
        except InvalidURL:
            raise SkipRequest(ScopeReason.NOT_HTTP.value) from None
        if key == request.meta.get("lotse_target"):
            return  # this hop was checked already (Scrapy re-sends after the middleware)
        reason = state.scope.check(key, request.meta.get("lotse_depth", 0))
        if reason is not ScopeReason.IN_SCOPE:
            raise SkipRequest(f"redirect_{reason}")
        if key in state.seen:
            raise SkipRequest(f"redirect_to_known_url: {key}")
        state.seen.add(key)
        request.meta["lotse_target"] = key


class RobotsProbeMiddleware:
    """Ends the spider's robots probe right after Scrapy's RobotsTxtMiddleware (order 100) has
    read its host's robots.txt: the probe exists to make that happen before any page request
    (so the Sitemap lines are known first), never to be downloaded itself."""

    def process_request(self, request: Request) -> None:
        if request.meta.get(META_ROBOTS_PROBE):
            raise IgnoreRequest("robots.txt read")


class RobotsReportMiddleware(_SharedState):
    """Tells the crawl when a robots.txt could not be read (refused, timeout, 5xx after the
    retries): Scrapy's RobotsTxtMiddleware then crawls as if there were none and only logs
    it, so neither the editor's per-URL log nor the crawl's completeness would know."""

    @staticmethod
    def _is_robots(request: Request) -> bool:
        return bool(request.meta.get("dont_obey_robotstxt")) and (
            urlparse_cached(request).path == "/robots.txt"
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if self._is_robots(request) and (
            response.status >= 500 or response.status in RETRY_STATUSES
        ):
            self.state.robots_failed(request.url, f"http_{response.status}", response.status)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self._is_robots(request) and not isinstance(exception, IgnoreRequest):
            from crawler.failures import describe_exception

            _, reason, status = describe_exception(exception)
            self.state.robots_failed(request.url, reason, status)


class ConditionalGetMiddleware(_SharedState):
    """Send the stored ETag / Last-Modified so unchanged pages cost a 304, not a body."""

    def process_request(self, request: Request) -> None:
        if request.meta.get("lotse_aux") or request.method != "GET":
            return
        if any(h in request.headers for h in CONDITIONAL_HEADERS):
            return
        page = request.meta.pop(META_STORED, None)
        if page is None or page.url != request.url:  # not looked up yet, or a redirect hop
            try:
                page = self.state.store.get_page(request.url)
            except InvalidURL:
                return
        if page is None or not page.has_body:
            return
        # A 304 answer then needs no second lookup of what the store has (see SiteSpider).
        request.meta[META_STORED] = page
        if page.etag:
            request.headers[b"If-None-Match"] = page.etag
        if page.last_modified:
            request.headers[b"If-Modified-Since"] = page.last_modified


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if unreadable."""
    return parse_retry_after(value, now)


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff, jittered down by up to half: base * 2**attempt, at most ``cap``."""
    # attempt counts from 0 here, retries from 1 in the shared policy
    return RetryPolicy(attempts=attempt + 1, base_s=base, cap_s=cap, jitter=0.5).delay(attempt + 1)


class BackoffRetryMiddleware(_SharedState):
    """Retry 429/5xx and network errors with backoff, honouring Retry-After.

    Scrapy's own RetryMiddleware retries at once; a struggling server deserves a pause. The
    pause is spent outside Scrapy's request slots (crawler.retrying).
    """

    def _delay_for(self, attempt: int, response: Response | None) -> float | None:
        config = self.state.config
        base = max(1.0, config.download_delay)
        wait = backoff_seconds(attempt, base, cap=config.max_retry_after_s)
        if response is not None:
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > config.max_retry_after_s:
                    return None  # the server asks for longer than this crawl will wait
                wait = max(wait, asked)
        return wait

    async def _retry(
        self, request: Request, response: Response | None, reason: str, status: int | None
    ) -> Request | None:
        """None: no retry. Otherwise the retry, after its wait, or ``RetryLater`` when it
        will be sent again by itself."""
        attempt = request.meta.get("lotse_retries", 0)
        if attempt >= self.state.config.retry_times:
            return None
        wait = self._delay_for(attempt, response)
        if wait is None:
            return None
        logger.info("retrying %s in %.1fs (attempt %s)", request.url, wait, attempt + 1)
        retry = request.replace(dont_filter=True)
        retry.meta["lotse_retries"] = attempt + 1
        if request.callback is NO_CALLBACK:
            # A component's own download (robots.txt) cannot be scheduled again; it waits
            # here, holding one of Scrapy's slots: one robots.txt per host at most.
            await asyncio.sleep(wait)
            return retry
        self.state.retries.add(self.crawler.engine, retry, wait, reason=reason, status=status)
        raise RetryLater(f"retry in {wait:.1f}s")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RETRY_STATUSES or request.meta.get("dont_retry"):
            return response
        status = response.status
        retry = await self._retry(request, response, f"http_{status}", status)
        return response if retry is None else retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if isinstance(exception, IgnoreRequest | DownloadCancelledError | CannotResolveHostError):
            return None  # retrying cannot help
        if request.meta.get("dont_retry"):
            return None
        from crawler.failures import describe_exception

        _, reason, status = describe_exception(exception)
        return await self._retry(request, None, reason, status)
