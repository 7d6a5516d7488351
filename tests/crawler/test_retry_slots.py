"""Retries waiting for Retry-After hold none of Scrapy's request slots (crawler.retrying)."""

from __future__ import annotations

import threading

import pytest

from crawler.config import CrawlConfig
from crawler.run import run_crawl
from crawler.store import PageStoreConfig
from tests.crawler.sites import Answer, Handler, Site, html

pytestmark = pytest.mark.timeout(90)

LOCAL = ("127.0.0.1/32",)
# More busy pages than Scrapy has request slots (CONCURRENT_REQUESTS, 16): had each kept its
# slot while waiting, nothing else could have been fetched meanwhile.
BUSY_PAGES = 20
CHAIN = 40


def busy_site(retry_after_s: int) -> Site:
    """Every page answers 503 with Retry-After the first time it is asked for, then 200."""
    asked: set[str] = set()
    lock = threading.Lock()

    def busy_once(handler: Handler) -> Answer:
        with lock:
            first = handler.path not in asked
            asked.add(handler.path)
        if first:
            return Answer(503, b"busy", {"Retry-After": str(retry_after_s)})
        return html(handler.path)

    routes = {f"/busy/{i}": busy_once for i in range(BUSY_PAGES)}
    routes["/"] = html("Busy", *routes)
    routes["/robots.txt"] = Answer(404, b"", {"Content-Type": "text/plain"})
    return Site(routes)


def chain_site() -> Site:
    """One long chain of pages: each is found only once the one before it is fetched."""
    routes = {f"/chain/{i}": html(f"Page {i}", f"/chain/{i + 1}") for i in range(1, CHAIN)}
    routes["/"] = html("Start", "/chain/1")
    routes["/robots.txt"] = Answer(404, b"", {"Content-Type": "text/plain"})
    return Site(routes)


def config_for(*sites: Site, **changes) -> CrawlConfig:
    values = dict(
        source_id="src-r",
        run_id="run-r",
        start_urls=tuple(site.base + "/" for site in sites),
        allowed_networks=LOCAL,
        max_depth=CHAIN + 5,
        download_delay=0,
        concurrency_per_host=4,
        request_timeout_s=5,
        time_limit_s=60,
        log_level="WARNING",
    )
    values.update(changes)
    return CrawlConfig(**values)


def url_events(events: list[dict]) -> dict[str, dict]:
    return {e["url"]: e for e in events if e["event"] == "url"}


def test_a_slow_host_does_not_hold_up_a_fast_one(tmp_path):
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    events: list[dict] = []
    with busy_site(retry_after_s=8) as busy, chain_site() as chain:
        result = run_crawl(config_for(busy, chain), store_config, events.append)
        busy_arrivals = [(t, p) for t, _, p in busy.timings if p.startswith("/busy/")]
        chain_arrivals = [t for t, _, p in chain.timings if p.startswith("/chain/")]
    urls = url_events(events)
    # Every retry was sent and answered: the crawl stayed open for them.
    assert result.complete
    busy_pages = [f"{busy.base}/busy/{i}" for i in range(BUSY_PAGES)]
    assert {urls[u]["outcome"] for u in busy_pages} == {"fetched_new"}
    assert len(chain_arrivals) == CHAIN  # /chain/1 to /chain/39, and the missing /chain/40
    # The whole chain was fetched while the busy host's retries waited: the first retry
    # arrived after the chain's last page (arrivals on one clock, in one process).
    seen: set[str] = set()
    retries = []
    for arrived, path in sorted(busy_arrivals):
        if path in seen:
            retries.append(arrived)
        seen.add(path)
    assert len(retries) == BUSY_PAGES
    assert max(chain_arrivals) < min(retries)


def test_retries_still_waiting_at_the_time_limit_are_logged_failed(tmp_path):
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    events: list[dict] = []
    with busy_site(retry_after_s=60) as busy:
        result = run_crawl(config_for(busy, time_limit_s=3), store_config, events.append)
        asked = busy.paths()
    urls = url_events(events)
    assert not result.complete
    assert result.finish_reason == "closespider_timeout"
    # No retry was sent, and each waiting one has its last answer in the log.
    assert sorted(p for p in asked if p.startswith("/busy/")) == sorted(
        f"/busy/{i}" for i in range(BUSY_PAGES)
    )
    for i in range(BUSY_PAGES):
        event = urls[f"{busy.base}/busy/{i}"]
        assert (event["outcome"], event["reason"], event["status"]) == ("failed", "http_503", 503)
