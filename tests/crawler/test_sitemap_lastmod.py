"""Recrawls that trust a sitemap's <lastmod>: unchanged pages are not fetched at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.pages import lastmod_bound, sitemap_urls
from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.sites import Answer, Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(60)

OLD = "2020-01-01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a date alone: the end of that day in the westernmost zone
        ("2024-05-01", datetime(2024, 5, 2, 11, 59, 59, 999999, tzinfo=UTC)),
        ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 8, 0, tzinfo=UTC)),
        ("2024-05-01T10:00Z", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        # a time without a zone: read as late as it can be (UTC-12)
        ("2024-05-01T10:00:00", datetime(2024, 5, 1, 22, 0, tzinfo=UTC)),
        ("2024-12", datetime(2025, 1, 1, 11, 59, 59, 999999, tzinfo=UTC)),
        ("gestern", None),
        ("", None),
    ],
)
def test_lastmod_is_read_pessimistically(text, expected):
    assert lastmod_bound(text) == expected


def test_sitemap_urls_carry_lastmod():
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://e.org/a</loc><lastmod>2024-05-01T10:00Z</lastmod></url>"
        b"<url><loc>https://e.org/b</loc></url></urlset>"
    )
    kind, entries = sitemap_urls(body)
    assert kind == "urlset"
    assert [(e.loc, e.lastmod) for e in entries] == [
        ("https://e.org/a", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        ("https://e.org/b", None),
    ]


def lastmod_site() -> tuple[Site, dict[str, str]]:
    """Pages listed in a sitemap with lastmod; /deep is only linked from /a."""
    lastmods = {"/": OLD, "/a": OLD, "/b": OLD, "/guide.pdf": OLD, "/no-date": ""}
    site = Site({})

    def sitemap(_handler) -> Answer:
        urls = "".join(
            f"<url><loc>{site.base}{path}</loc>"
            + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
            + "</url>"
            for path, lastmod in lastmods.items()
        )
        body = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        )
        return Answer(body=body.encode(), headers={"Content-Type": "application/xml"})

    site.routes.update(
        {
            "/robots.txt": Answer(
                body=f"User-agent: *\nSitemap: {site.base}/sitemap.xml\n".encode(),
                headers={"Content-Type": "text/plain"},
            ),
            "/sitemap.xml": sitemap,
            "/": html("Home", "/a", "/b"),
            "/a": html("A", "/deep"),
            "/b": html("B"),
            "/deep": html("Deep"),
            "/no-date": html("No date"),
            "/guide.pdf": Answer(
                body=b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
                headers={"Content-Type": "application/pdf"},
            ),
        }
    )
    return site, lastmods


@pytest.fixture
def store_config(tmp_path):
    return PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))


def fetched_paths(site: Site, since: int) -> set[str]:
    return {path for path, _ in site.requests[since:]}


def test_recrawl_skips_what_the_sitemap_says_is_older_than_our_copy(store_config):
    site, lastmods = lastmod_site()
    with site:
        first = crawl(config_for(site, run_id="run-1"), store_config)[1]
        assert {u for u, e in by_url(first).items() if e["outcome"] == "fetched_new"} == {
            f"{site.base}{p}" for p in ("/", "/a", "/b", "/deep", "/no-date", "/guide.pdf")
        }
        before = len(site.requests)
        result, second = crawl(config_for(site, run_id="run-2"), store_config)

        requested = fetched_paths(site, before)
        # robots.txt (read first, for its Sitemap line) and the sitemap: once each
        assert [p for p, _ in site.requests[before:]][:2] == ["/robots.txt", "/sitemap.xml"]
        assert [p for p, _ in site.requests[before:]].count("/robots.txt") == 1
        # not fetched at all: lastmod 2020 is older than the copies of a minute ago
        assert not {"/", "/a", "/b", "/guide.pdf"} & requested
        # fetched with a conditional GET: no lastmod, or reached only through a link
        assert {"/no-date", "/deep"} <= requested
        urls = by_url(second)
        for path in ("/", "/a", "/b", "/guide.pdf"):
            event = urls[f"{site.base}{path}"]
            assert (event["outcome"], event["reason"]) == ("unchanged", "sitemap_lastmod")
            assert event["content_hash"]
        assert urls[f"{site.base}/deep"]["reason"] == "not_modified"  # found via /a's kept links
        assert urls[f"{site.base}/guide.pdf"]["kind"] == "pdf"
        assert result.complete
        store = open_page_store(store_config)
        try:
            assert store.urls_not_seen_in_run("src-1", "run-2") == set()  # nothing looks gone
            page = store.get_page(f"{site.base}/a")
            assert page.last_seen > page.last_verified  # seen now, confirmed by the server before
        finally:
            store.close()

        # the site changes /b and says so in its sitemap: fetched again and found changed
        site.routes["/b"] = html("B, new")
        lastmods["/b"] = datetime.now(UTC).isoformat()
        before = len(site.requests)
        third = by_url(crawl(config_for(site, run_id="run-3"), store_config)[1])
        assert "/b" in fetched_paths(site, before)
        assert third[f"{site.base}/b"]["outcome"] == "fetched_changed"
        assert third[f"{site.base}/a"]["reason"] == "sitemap_lastmod"


def test_lastmod_is_not_trusted_when_the_source_says_so(store_config):
    site, _ = lastmod_site()
    with site:
        crawl(config_for(site, run_id="run-1"), store_config)
        before = len(site.requests)
        second = by_url(
            crawl(config_for(site, run_id="run-2", trust_sitemap_lastmod=False), store_config)[1]
        )
        assert {"/", "/a", "/b", "/guide.pdf"} <= fetched_paths(site, before)
        assert {e["reason"] for e in second.values() if e["outcome"] == "unchanged"} == {
            "not_modified"
        }


def test_lastmod_is_not_trusted_for_a_copy_confirmed_too_long_ago(store_config):
    site, _ = lastmod_site()
    with site:
        crawl(config_for(site, run_id="run-1"), store_config)
        before = len(site.requests)
        crawl(config_for(site, run_id="run-2", sitemap_trust_days=0), store_config)
        assert {"/", "/a", "/b", "/guide.pdf"} <= fetched_paths(site, before)


def test_a_page_of_another_source_is_fetched_for_this_one(store_config):
    site, _ = lastmod_site()
    with site:
        crawl(config_for(site, run_id="run-1"), store_config)
        before = len(site.requests)
        events = by_url(crawl(config_for(site, source_id="src-2", run_id="run-9"), store_config)[1])
        assert {"/", "/a", "/b"} <= fetched_paths(site, before)
        assert not any(e["reason"] == "sitemap_lastmod" for e in events.values())
