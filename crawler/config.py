"""What one crawl of one source may do, as a frozen value.

``workers/`` builds a ``CrawlConfig`` from the source row and the settings; the crawler never
reads the environment or Django settings itself. The config crosses a process boundary (the
Scrapy child), so it converts to and from plain JSON.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.patterns import PatternError, check_patterns

DEFAULT_USER_AGENT = "LotseBot/0.1 (+https://github.com/lotse; self-hosted site search)"


REVISIT_POLICIES = ("every_crawl", "when_stale")
# Render pages in a headless browser (crawler.render): never, when a page looks built by
# JavaScript (crawler.render.heuristic), or every HTML page.
RENDER_MODES = ("never", "auto", "always")


@dataclass(frozen=True)
class MediaWikiConfig:
    """What a crawl of a MediaWiki reads: its API, the login, which pages (crawler.mediawiki).

    ``password`` is the bot password itself (the backend reads it from the environment
    variable the source names); the config travels to the crawl child on its stdin, never on
    a command line. ``changes_since``: ISO time of the last complete crawl's start; the
    wiki's deletion and move logs are read from then on (empty: not read, nothing indexed).
    """

    api_url: str
    username: str = ""
    password: str = ""
    # namespace numbers; empty with no categories: the main namespace (0)
    namespaces: tuple[int, ...] = ()
    # category names without the "Category:" prefix; empty: every page of the namespaces
    categories: tuple[str, ...] = ()
    changes_since: str = ""
    # largest rendered page (bytes of the API's answer) and longest parse request
    max_page_bytes: int = 5 * 1024 * 1024
    parse_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("namespaces", "categories"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CrawlConfigError(f"mediawiki.api_url: {self.api_url!r} is not an http(s) URL")
        if self.password and not self.username:
            raise CrawlConfigError("mediawiki.username: a bot password needs its user name")
        if self.max_page_bytes <= 0 or self.parse_timeout_s <= 0:
            raise CrawlConfigError("mediawiki: the page limits must be greater than 0")

    def __repr__(self) -> str:  # never the password in a log line
        return f"MediaWikiConfig(api_url={self.api_url!r}, username={self.username!r})"


class CrawlConfigError(ValueError):
    """The crawl configuration is unusable; the message names the field."""


@dataclass(frozen=True)
class CrawlConfig:
    """One crawl of one source.

    Complete-run semantics: a run is *complete* only when the crawl frontier was exhausted —
    not stopped by ``max_pages``, ``time_limit_s``, cancellation or a crash — and the site
    answered: not when a start URL, a sitemap or robots.txt could not be fetched, nor when
    more than ``max_failed_share`` of the known pages failed (crawler.completeness). Only after a
    complete run may the caller treat pages of the source that were not seen in this run
    (``PageStore.urls_not_seen_in_run``) as gone; after an incomplete run it must not, because
    unseen may just mean "not reached". The crawler reports ``complete`` in its final event.
    """

    source_id: str
    start_urls: tuple[str, ...]
    run_id: str = ""
    sitemap_urls: tuple[str, ...] = ()
    # Sitemaps announced in robots.txt of a start host are read as well.
    use_robots_sitemaps: bool = True
    # A sitemap <lastmod> older than the copy the server last confirmed skips the fetch (the
    # page counts as unchanged, its kept links are followed) unless that confirmation is more
    # than sitemap_trust_days old.
    trust_sitemap_lastmod: bool = True
    sitemap_trust_days: float = 7.0
    # "every_crawl": every known page is asked again (a conditional GET) at every crawl.
    # "when_stale": a page whose copy is still fresh by the HTTP caching rules
    # (crawler.freshness) is not requested; it counts as unchanged and its kept links are
    # followed. Start URLs are always asked; every page at least every max_revisit_days.
    revisit: str = "every_crawl"
    max_revisit_days: float = 7.0
    # Empty: the hosts of the start URLs. A leading "." or the plain domain also allows
    # subdomains ("example.org" allows "www.example.org").
    allowed_domains: tuple[str, ...] = ()
    # Regular expressions searched in the normalised URL.
    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    max_depth: int = 5
    max_pages: int = 10_000
    follow_pdfs: bool = True
    render: str = "never"
    # The browser (crawler.render): its executable, the time one page may take, pages per
    # browser process before it is restarted, pages rendering at once.
    browser_path: str = "/usr/bin/chromium"
    render_timeout_s: float = 20.0
    render_pages_per_browser: int = 100
    render_concurrency: int = 2
    # CPU priority of the crawl process (os.nice, 0-19): above 0, the web process and the
    # indexing threads beside it come first when the cores are busy (crawler.child)
    nice: int = 0
    concurrency_per_host: int = 2
    download_delay: float = 1.0
    # redis:// URL shared by all crawl processes: delay and concurrency per host then hold
    # across them (crawler.politeness). Empty: within this process only.
    politeness_redis_url: str = ""
    # CIDR networks ("10.0.0.0/8") or host names the operator allows although they resolve
    # to private, loopback or link-local addresses. Empty: none.
    allowed_networks: tuple[str, ...] = ()
    max_response_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    request_timeout_s: float = 30.0
    retry_times: int = 2
    # Retry-After longer than this is not waited for; the URL fails instead.
    max_retry_after_s: float = 120.0
    # robots.txt Crawl-delay above this is capped, so a hostile value cannot stall a run.
    max_crawl_delay_s: float = 60.0
    user_agent: str = DEFAULT_USER_AGENT
    time_limit_s: float = 3600.0
    # More than this share of the already stored pages failing transiently (5xx, timeouts,
    # refused) makes the run incomplete (crawler.completeness).
    max_failed_share: float = 0.1
    keep_trailing_slash: bool = True
    # Names of query parameters dropped during normalisation on top of the tracking ones.
    strip_query_params: tuple[str, ...] = field(default=())
    log_level: str = "INFO"
    # Set for a MediaWiki source: the crawl reads the wiki's API (crawler.mediawiki) instead
    # of following links; start_urls is then the API's URL (its host is the scope).
    mediawiki: MediaWikiConfig | None = None

    def __post_init__(self) -> None:
        # JSON and callers hand in lists; tuples keep the value hashable and really frozen.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
        if isinstance(self.mediawiki, dict):
            object.__setattr__(self, "mediawiki", MediaWikiConfig(**self.mediawiki))
        self._validate()

    def _validate(self) -> None:
        if not self.source_id:
            raise CrawlConfigError("source_id: must not be empty")
        if not self.start_urls and not self.sitemap_urls:
            raise CrawlConfigError("start_urls: give at least one start URL or sitemap URL")
        for name in ("start_urls", "sitemap_urls"):
            for url in getattr(self, name):
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise CrawlConfigError(f"{name}: {url!r} is not an http(s) URL")
        for name in ("include_patterns", "exclude_patterns"):
            try:
                check_patterns(getattr(self, name))
            except PatternError as exc:
                raise CrawlConfigError(f"{name}: not a usable pattern: {exc}") from exc
        positive = ("max_pages", "concurrency_per_host", "max_response_bytes", "time_limit_s")
        for name in positive:
            if getattr(self, name) <= 0:
                raise CrawlConfigError(f"{name}: must be greater than 0")
        non_negative = (
            "max_depth",
            "download_delay",
            "max_redirects",
            "retry_times",
            "max_retry_after_s",
            "max_crawl_delay_s",
            "max_failed_share",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise CrawlConfigError(f"{name}: must not be negative")
        if self.revisit not in REVISIT_POLICIES:
            raise CrawlConfigError(f"revisit: one of {', '.join(REVISIT_POLICIES)}")
        if self.render not in RENDER_MODES:
            raise CrawlConfigError(f"render: one of {', '.join(RENDER_MODES)}")
        for name in ("render_timeout_s", "render_pages_per_browser", "render_concurrency"):
            if getattr(self, name) <= 0:
                raise CrawlConfigError(f"{name}: must be greater than 0")
        if not 0 <= self.nice <= 19:
            raise CrawlConfigError("nice: from 0 to 19")
        if self.max_revisit_days <= 0:
            raise CrawlConfigError("max_revisit_days: must be greater than 0")
        if self.request_timeout_s <= 0:
            raise CrawlConfigError("request_timeout_s: must be greater than 0")

    @property
    def effective_allowed_domains(self) -> tuple[str, ...]:
        if self.allowed_domains:
            return tuple(d.lower().strip() for d in self.allowed_domains)
        hosts = [urlsplit(u).hostname or "" for u in (*self.start_urls, *self.sitemap_urls)]
        return tuple(dict.fromkeys(h for h in hosts if h))

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise CrawlConfigError(f"unknown fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> CrawlConfig:
        return cls.from_dict(json.loads(text))
