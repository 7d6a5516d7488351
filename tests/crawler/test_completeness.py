"""A site that is down must never look empty: when a crawl counts as complete."""

from __future__ import annotations

import socket

import pytest

from crawler.completeness import CompletenessTracker, is_transient
from crawler.store import PageStoreConfig
from tests.crawler.sites import Answer, Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def store_config(tmp_path):
    return PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("reason", "status", "transient"),
    [
        ("http_500", 500, True),
        ("http_503", 503, True),
        ("http_429", 429, True),
        ("http_403", 403, False),
        ("http_404", None, False),
        ("timeout", None, True),
        ("dns_failed", None, True),
        ("connection_refused", None, True),
        ("ResponseNeverReceived: [<twisted.python.failure.Failure ...>]", None, True),
        ("too_many_redirects", None, False),
        ("too_large", None, False),
        ("store_error: disk full", None, False),
    ],
)
def test_which_failures_say_try_again_later(reason, status, transient):
    assert is_transient(reason, status) is transient


def test_the_share_of_failed_known_pages_is_bounded():
    tracker = CompletenessTracker(max_failed_share=0.1)
    for _ in range(19):
        tracker.page_answered(known=True)
    tracker.page_failed(known=True, reason="http_500", status=500)
    tracker.page_failed(known=False, reason="http_500", status=500)  # new pages do not count
    assert tracker.verdict(True, "finished") == (True, "finished")  # 1 of 20
    tracker.page_failed(known=True, reason="timeout", status=None)
    tracker.page_failed(known=True, reason="timeout", status=None)
    assert tracker.verdict(True, "finished") == (False, "too_many_failures")  # 3 of 22
    assert tracker.verdict(False, "max_pages") == (False, "max_pages")


def test_a_refused_start_url_makes_the_crawl_incomplete(store_config):
    port = closed_port()
    config = config_for(Site({}), start_urls=(f"http://127.0.0.1:{port}/",), retry_times=0)
    result, events = crawl(config, store_config)
    assert not result.complete
    assert result.finish_reason == "site_unreachable"
    unreachable = {(item["what"], item["reason"]) for item in result.report["unreachable"]}
    assert ("start_url", "connection_refused") in unreachable
    assert ("robots", "connection_refused") in unreachable
    robots = [e for e in events if e["event"] == "robots"]
    assert robots and robots[0]["url"] == f"http://127.0.0.1:{port}/robots.txt"


def test_failing_robots_txt_and_sitemap_are_reported_and_make_it_incomplete(store_config):
    routes = {
        "/robots.txt": Answer(503, b"maintenance", {"Content-Type": "text/plain"}),
        "/sitemap.xml": Answer(503, b"maintenance", {"Content-Type": "text/plain"}),
        "/": html("Home", "/a"),
        "/a": html("A"),
    }
    with Site(routes) as site:
        config = config_for(site, sitemap_urls=(site.base + "/sitemap.xml",), retry_times=0)
        result, events = crawl(config, store_config)
    robots = [e for e in events if e["event"] == "robots"]
    sitemaps = [e for e in events if e["event"] == "sitemap"]
    assert [(e["reason"], e["status"]) for e in robots] == [("http_503", 503)]
    assert [(e["reason"], e["status"]) for e in sitemaps] == [("http_503", 503)]
    assert {e["outcome"] for e in by_url(events).values()} == {"fetched_new"}  # pages fine
    assert (result.complete, result.finish_reason) == (False, "site_unreachable")
    assert {item["what"] for item in result.report["unreachable"]} == {"robots", "sitemap"}


def test_a_page_failing_now_and_then_keeps_the_crawl_complete_many_do_not(store_config):
    pages = [f"/p{i}" for i in range(20)]
    routes = {"/": html("Home", *pages), **{path: html(path) for path in pages}}
    with Site(routes) as site:
        config = config_for(site, retry_times=0)
        first, _ = crawl(config, store_config)
        assert first.complete

        site.routes["/p3"] = Answer(500, b"oops", {"Content-Type": "text/plain"})
        one_failing, events = crawl(config, store_config)
        assert by_url(events)[site.base + "/p3"]["reason"] == "http_500"
        assert one_failing.complete, one_failing.report  # 1 of 21 known pages

        for path in pages[:5]:
            site.routes[path] = Answer(503, b"busy", {"Content-Type": "text/plain"})
        many_failing, _ = crawl(config, store_config)
    assert (many_failing.complete, many_failing.finish_reason) == (False, "too_many_failures")
    assert many_failing.report["known_failed"] == 5
