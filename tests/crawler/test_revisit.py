"""Recrawls that ask only about pages whose copy may be stale (revisit "when_stale")."""

from __future__ import annotations

import pytest

from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.sites import PDF_BODY, Answer, Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(60)

LONG_AGO = "Wed, 01 Jan 2020 00:00:00 GMT"


def with_headers(answer: Answer, **headers: str) -> Answer:
    answer.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return answer


def caching_site() -> Site:
    """Pages with each kind of caching header; /deep is only linked from /a."""
    return Site(
        {
            "/": with_headers(
                html("Home", "/a", "/b", "/c", "/guide.pdf"), Cache_Control="max-age=3600"
            ),
            "/a": with_headers(html("A", "/deep"), Cache_Control="public, max-age=3600"),
            "/deep": with_headers(html("Deep"), Last_Modified=LONG_AGO),
            "/b": with_headers(html("B"), Cache_Control="no-cache", Last_Modified=LONG_AGO),
            "/c": html("C, no caching headers"),
            "/guide.pdf": Answer(
                body=PDF_BODY,
                headers={
                    "Content-Type": "application/pdf",
                    "Date": "Sat, 21 Nov 2026 12:00:00 GMT",
                    "Expires": "Sun, 22 Nov 2026 12:00:00 GMT",
                },
            ),
        }
    )


@pytest.fixture
def store_config(tmp_path):
    return PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))


def requested(site: Site, since: int) -> set[str]:
    return {path for path in site.paths()[since:] if path != "/robots.txt"}


def test_a_recrawl_asks_only_about_copies_that_may_be_stale(store_config):
    site = caching_site()
    with site:
        when_stale = dict(revisit="when_stale")
        first = by_url(crawl(config_for(site, run_id="run-1", **when_stale), store_config)[1])
        pages = {"/", "/a", "/b", "/c", "/deep", "/guide.pdf"}
        assert {u for u, e in first.items() if e["outcome"] == "fetched_new"} == {
            site.base + p for p in pages
        }
        # the start page links a new page now (behind its own max-age)
        site.routes["/"] = with_headers(
            html("Home", "/a", "/b", "/c", "/guide.pdf", "/new"), Cache_Control="max-age=3600"
        )
        site.routes["/new"] = html("New")
        before = len(site.paths())
        result, events = crawl(config_for(site, run_id="run-2", **when_stale), store_config)
        second = by_url(events)

        # fresh by max-age, by a tenth of six years since Last-Modified, by Expires: not asked
        assert requested(site, before) == {"/", "/b", "/c", "/new"}
        for path in ("/a", "/deep", "/guide.pdf"):
            event = second[site.base + path]
            assert (event["outcome"], event["reason"]) == ("unchanged", "still_fresh"), path
            assert event["content_hash"]
        assert second[site.base + "/deep"]["depth"] == 2  # through /a's kept links
        assert second[site.base + "/guide.pdf"]["kind"] == "pdf"
        # the start URL is asked at every crawl, so what it newly links is found at once
        assert second[site.base + "/"]["outcome"] == "fetched_changed"
        assert second[site.base + "/new"]["outcome"] == "fetched_new"
        # no-cache, and a copy without any age yet: asked with conditional GETs
        assert second[site.base + "/b"]["reason"] == "not_modified"
        assert second[site.base + "/c"]["reason"] == "not_modified"
        assert result.complete
        store = open_page_store(store_config)
        try:
            assert store.urls_not_seen_in_run("src-1", "run-2") == set()  # nothing looks gone
        finally:
            store.close()

        # the editor's maximum: a copy confirmed longer ago is asked whatever its headers say
        before = len(site.paths())
        crawl(config_for(site, run_id="run-3", max_revisit_days=1e-6, **when_stale), store_config)
        assert requested(site, before) == pages | {"/new"}


def test_every_crawl_asks_about_every_page_by_default(store_config):
    site = caching_site()
    with site:
        crawl(config_for(site, run_id="run-1"), store_config)
        before = len(site.paths())
        second = by_url(crawl(config_for(site, run_id="run-2"), store_config)[1])
        assert requested(site, before) == {"/", "/a", "/b", "/c", "/deep", "/guide.pdf"}
        assert {e["reason"] for e in second.values()} == {"not_modified"}
