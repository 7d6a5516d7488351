"""Whole crawls, in a child process, of local websites on 127.0.0.1."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.config import CrawlConfig
from crawler.run import run_crawl
from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.sites import PDF_BODY, Answer, Site, html

pytestmark = pytest.mark.timeout(60)

LOCAL = ("127.0.0.1/32",)
# /flaky answers 503 first, asking for this pause; the crawler's own backoff before a first
# retry is at most 1 s (crawler.middlewares.backoff_seconds), so only Retry-After explains more.
RETRY_AFTER_S = 3


def crawl(config, store_config, **kwargs):
    events = []
    result = run_crawl(config, store_config, events.append, **kwargs)
    return result, events


def by_url(events):
    return {e["url"]: e for e in events if e["event"] == "url"}


def main_site() -> Site:
    site = Site({})
    base = site.base
    flaky_calls = Counter()

    def flaky(_handler) -> Answer:
        flaky_calls["n"] += 1
        if flaky_calls["n"] == 1:
            return Answer(503, b"busy", {"Retry-After": str(RETRY_AFTER_S)})
        return html("Flaky but fine")

    def calendar(handler) -> Answer:
        month = int(handler.path.rsplit("/", 1)[1])
        return html(f"Month {month}", f"/calendar/{month + 1}")

    site.routes.update(
        {
            "/robots.txt": Answer(
                body=(
                    "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.1\n"
                    f"Sitemap: {base}/sitemap_index.xml\n"
                ).encode(),
                headers={"Content-Type": "text/plain"},
            ),
            "/sitemap_index.xml": Answer(
                body=(
                    '<?xml version="1.0"?><sitemapindex '
                    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<sitemap><loc>{base}/sitemap.xml</loc></sitemap></sitemapindex>"
                ).encode(),
                headers={"Content-Type": "application/xml"},
            ),
            "/sitemap.xml": Answer(
                body=(
                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<url><loc>{base}/only-in-sitemap</loc></url>"
                    f"<url><loc>{base}/about</loc></url></urlset>"
                ).encode(),
                headers={"Content-Type": "application/xml"},
            ),
            "/": html(
                "Home",
                "/about",
                "/about#team",
                "/about?utm_source=newsletter",
                "/docs/a",
                "/report.pdf",
                "/download",
                "/private/secret",
                "/old",
                "/missing",
                "/logo.png",
                "/calendar/1",
                "/meta",
                "/flaky",
                "/skip-me/x",
                "http://example.com/elsewhere",
                "mailto:info@example.org",
            ),
            "/about": html("About us", "/"),
            "/docs/a": html("Doc A", "/docs/b"),
            "/docs/b": html("Doc B"),
            "/only-in-sitemap": html("Sitemap only"),
            "/new": html("New place"),
            "/old": Answer(301, b"", {"Location": "/new"}),
            "/meta": Answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}),
            "/report.pdf": Answer(body=PDF_BODY, headers={"Content-Type": "application/pdf"}),
            # A PDF without the extension, recognised by Content-Type.
            "/download": Answer(body=PDF_BODY, headers={"Content-Type": "application/pdf"}),
            "/logo.png": Answer(body=b"\x89PNG....", headers={"Content-Type": "image/png"}),
            "/private/secret": html("Secret"),
            "/flaky": flaky,
            **{f"/calendar/{m}": calendar for m in range(1, 1000)},
        }
    )
    return site


def config_for(site: Site, **changes) -> CrawlConfig:
    values = dict(
        source_id="src-1",
        run_id="run-1",
        start_urls=(site.base + "/",),
        allowed_networks=LOCAL,
        exclude_patterns=("/skip-me/",),
        max_depth=3,
        download_delay=0,
        concurrency_per_host=4,
        request_timeout_s=5,
        time_limit_s=30,
        log_level="WARNING",
    )
    values.update(changes)
    return CrawlConfig(**values)


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    """The main site crawled twice into one page store: first run, then an unchanged rerun."""
    store_config = PageStoreConfig(
        url="", database="lotse", path=str(tmp_path_factory.mktemp("ps"))
    )
    with main_site() as site:
        first = crawl(config_for(site, run_id="run-1"), store_config)
        first_requests = len(site.requests)
        second = crawl(config_for(site, run_id="run-2"), store_config)
        second_requests = site.requests[first_requests:]
    return site, store_config, first, second, second_requests


def test_first_crawl_fetches_pages_and_pdfs(two_crawls):
    site, store_config, (result, events), _, _ = two_crawls
    base = site.base
    urls = by_url(events)
    fetched = {u for u, e in urls.items() if e["outcome"] == "fetched_new"}
    assert fetched == {
        f"{base}/",
        f"{base}/about",
        f"{base}/docs/a",
        f"{base}/docs/b",
        f"{base}/report.pdf",
        f"{base}/download",
        f"{base}/new",
        f"{base}/only-in-sitemap",
        f"{base}/flaky",
        f"{base}/calendar/1",
        f"{base}/calendar/2",
        f"{base}/calendar/3",
    }
    assert urls[f"{base}/"]["title"] == "Home"
    assert urls[f"{base}/"]["kind"] == "html"
    assert urls[f"{base}/download"]["kind"] == "pdf"
    assert urls[f"{base}/report.pdf"]["content_type"] == "application/pdf"
    # the link that led to a PDF names it (the indexer's title hint)
    assert urls[f"{base}/report.pdf"]["link_text"] == "/report.pdf"
    assert urls[f"{base}/new"]["requested_url"] == f"{base}/old"
    assert urls[f"{base}/about"]["depth"] in (0, 1)  # listed in the sitemap and linked
    assert urls[f"{base}/docs/b"]["depth"] == 2
    assert result.complete and result.finish_reason == "finished"
    assert result.counts["fetched_new"] == len(fetched)


def test_first_crawl_logs_why_urls_were_skipped(two_crawls):
    site, _, (_, events), _, _ = two_crawls
    base = site.base
    urls = by_url(events)
    assert urls[f"{base}/private/secret"]["outcome"] == "skipped"
    assert urls[f"{base}/private/secret"]["reason"] == "robots_disallowed"
    assert urls[f"{base}/skip-me/x"]["reason"] == "excluded_pattern"
    assert urls[f"{base}/calendar/4"]["reason"] == "too_deep"
    assert f"{base}/calendar/5" not in urls  # the trap ends at max_depth
    assert urls[f"{base}/logo.png"]["reason"] == "unsupported_content_type"
    assert urls[f"{base}/missing"]["outcome"] == "gone"
    meta = urls["http://169.254.169.254/latest/meta-data/"]
    assert (meta["outcome"], meta["reason"]) == ("skipped", "redirect_out_of_scope_domain")
    assert meta["requested_url"] == f"{base}/meta"
    assert "http://example.com/elsewhere" not in urls
    assert "/private/secret" not in site.paths()
    sitemaps = [e for e in events if e["event"] == "sitemap"]
    assert {e["kind"] for e in sitemaps} == {"sitemapindex", "urlset"}


def test_backoff_honours_retry_after(two_crawls):
    site, _, (_, events), _, _ = two_crawls
    assert by_url(events)[f"{site.base}/flaky"]["outcome"] == "fetched_new"
    # The first try's arrival comes before its 503 reached the crawler, so the retry can
    # arrive no earlier than the pause after it: a bound that load only makes safer.
    (first, _, _), (retry, _, _) = [t for t in site.timings if t[2] == "/flaky"][:2]
    assert retry - first >= RETRY_AFTER_S


def test_recrawl_of_unchanged_site_is_all_unchanged(two_crawls):
    site, store_config, (_, first), (result, second), second_requests = two_crawls
    first_fetched = {u for u, e in by_url(first).items() if e["outcome"].startswith("fetched")}
    outcomes = {u: e["outcome"] for u, e in by_url(second).items()}
    assert {outcomes[u] for u in first_fetched} == {"unchanged"}
    assert not any(o.startswith("fetched") for o in outcomes.values())
    assert result.complete
    # The server saw conditional requests and answered 304 to them.
    conditional = [p for p, h in second_requests if "If-None-Match" in h]
    assert "/" in conditional and "/about" in conditional
    assert by_url(second)[f"{site.base}/"]["reason"] == "not_modified"

    store = open_page_store(store_config)
    try:
        assert store.load_body(f"{site.base}/report.pdf") == PDF_BODY
        seen = store.urls_seen_for_source("src-1", run_id="run-2")
        assert first_fetched <= seen
        assert store.urls_not_seen_in_run("src-1", "run-2") == set()
    finally:
        store.close()


def test_loopback_is_refused_without_allowed_networks(tmp_path):
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    with Site({"/": html("Home")}) as site:
        result, events = crawl(config_for(site, allowed_networks=()), store_config)
        assert site.paths() == []
    (event,) = [e for e in events if e["event"] == "url"]
    assert event["outcome"] == "skipped"
    assert event["reason"].startswith("refused_address: loopback")


@pytest.mark.parametrize("nice", [0, 7])
def test_the_crawl_process_runs_at_the_configured_priority(tmp_path, nice):
    """CRAWLER_NICE: a crawl competing for the cores yields them to answers and indexing."""
    import os

    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    with Site({"/": html("Home")}) as site:
        _, events = crawl(config_for(site, nice=nice), store_config)
    (started,) = [e for e in events if e["event"] == "started"]
    assert started["nice"] == min(19, os.nice(0) + nice)
    assert started["pid"] != os.getpid()
