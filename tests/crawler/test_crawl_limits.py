"""Limits, politeness and stopping: crawls of small local sites in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from crawler.run import run_crawl
from crawler.store import PageStoreConfig
from tests.crawler.sites import Answer, Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def store_config(tmp_path):
    return PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))


def many_pages(count: int, delay_s: float = 0.0) -> dict:
    routes = {"/": html("Home", *(f"/p/{i}" for i in range(count)))}
    for i in range(count):
        page = html(f"Page {i}")
        page.delay_s = delay_s
        routes[f"/p/{i}"] = page
    return routes


def test_max_pages_makes_an_incomplete_run(store_config):
    with Site(many_pages(20)) as site:
        result, events = crawl(config_for(site, max_pages=5), store_config)
    fetched = [e for e in by_url(events).values() if e["outcome"] == "fetched_new"]
    assert len(fetched) == 5
    assert sum(1 for e in events if e.get("reason") == "max_pages") == 16
    assert not result.complete
    assert result.finish_reason == "max_pages"


def test_limits_on_size_and_redirects(store_config):
    routes = {
        "/": html("Home", "/big", "/loop1"),
        "/big": Answer(body=b"<html>" + b"x" * 200_000, headers={"Content-Type": "text/html"}),
        "/loop1": Answer(302, b"", {"Location": "/loop2"}),
        "/loop2": Answer(302, b"", {"Location": "/loop3"}),
        "/loop3": Answer(302, b"", {"Location": "/loop4"}),
        "/loop4": Answer(302, b"", {"Location": "/loop5"}),
        "/loop5": html("Too far"),
    }
    with Site(routes) as site:
        config = config_for(site, max_response_bytes=100_000, max_redirects=2)
        _, events = crawl(config, store_config)
    urls = by_url(events)
    assert urls[f"{site.base}/big"]["outcome"] == "failed"
    assert urls[f"{site.base}/big"]["reason"] == "too_large"
    (redirect,) = [e for e in urls.values() if e["requested_url"] == f"{site.base}/loop1"]
    assert redirect["outcome"] == "failed"
    assert redirect["reason"] == "too_many_redirects"


def test_last_modified_answered_with_304(store_config):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def page(handler) -> Answer:
        if handler.headers.get("If-Modified-Since") == stamp:
            return Answer(304)
        answer = html("Dated")
        answer.headers["Last-Modified"] = stamp
        return answer

    with Site({"/": page}, etags=False) as site:
        crawl(config_for(site), store_config)
        result, events = crawl(config_for(site, run_id="run-2"), store_config)
    (event,) = by_url(events).values()
    assert (event["outcome"], event["status"], event["reason"]) == (
        "unchanged",
        304,
        "not_modified",
    )
    assert result.complete


def test_changed_page_is_reported_changed(store_config):
    routes = {"/": html("Version 1")}
    with Site(routes) as site:
        crawl(config_for(site), store_config)
        routes["/"] = html("Version 2")
        _, events = crawl(config_for(site, run_id="run-2"), store_config)
    (event,) = by_url(events).values()
    assert (event["outcome"], event["title"]) == ("fetched_changed", "Version 2")


def test_robots_crawl_delay_spaces_requests(store_config):
    routes = many_pages(2)
    routes["/robots.txt"] = Answer(body=b"User-agent: LotseBot\nCrawl-delay: 1\n")
    times: list[float] = []
    for path, answer in list(routes.items()):
        if path.startswith("/p/") or path == "/":

            def timed(handler, answer=answer) -> Answer:
                times.append(time.monotonic())
                return answer

            routes[path] = timed
    with Site(routes) as site:
        result, _ = crawl(config_for(site, download_delay=0), store_config)
    assert result.complete
    assert len(times) == 3
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.45  # Scrapy jitters the delay by up to half


def test_time_limit_stops_the_crawl(store_config):
    with Site(many_pages(30, delay_s=0.5)) as site:
        config = config_for(site, time_limit_s=2, concurrency_per_host=1)
        result, events = crawl(config, store_config)
    # 30 pages one at a time take 15 s at least: stopped by the limit, whatever the load
    assert len([e for e in events if e["event"] == "url"]) < 30
    assert not result.complete
    assert result.finish_reason == "closespider_timeout"
    assert events[-1]["event"] == "finished"


def test_cancel_stops_the_child_cleanly(store_config):
    cancel = threading.Event()
    events = []

    def on_event(event):
        events.append(event)
        if event.get("event") == "url":
            cancel.set()

    with Site(many_pages(30, delay_s=0.5)) as site:
        config = config_for(site, concurrency_per_host=1)
        result = run_crawl(config, store_config, on_event, cancel=cancel)
    assert not result.complete
    assert result.finish_reason == "cancelled"
    assert events[-1]["event"] == "finished"  # Scrapy closed the spider, not a kill
    assert len([e for e in events if e["event"] == "url"]) < 30


def test_events_can_go_to_a_file(store_config, tmp_path):
    path = tmp_path / "events.jsonl"
    with Site({"/": html("Home")}) as site:
        result = run_crawl(config_for(site), store_config, str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["event"] for e in lines] == ["started", "url", "finished"]
    assert result.complete and result.events == 3


def test_command_line_writes_events_to_stdout(store_config):
    with Site({"/": html("Home")}) as site:
        payload = json.dumps(
            {
                "crawl": config_for(site).to_dict(),
                "page_store": {"url": "", "database": "lotse", "path": store_config.path},
            }
        )
        done = subprocess.run(
            [sys.executable, "-m", "crawler.run", "--config", payload],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[1]["outcome"] == "fetched_new"
    assert events[-1]["complete"] is True


def test_pdfs_can_be_left_out_and_noindex_is_obeyed(store_config):
    routes = {
        "/": html("Home", "/a.pdf", "/download", "/hidden", "/away"),
        "/a.pdf": Answer(body=b"%PDF-1.4 x", headers={"Content-Type": "application/pdf"}),
        "/download": Answer(body=b"%PDF-1.4 y", headers={"Content-Type": "application/pdf"}),
        "/hidden": html("Hidden", "/behind", extra='<meta name="robots" content="noindex">'),
        "/behind": html("Behind"),
        "/away": Answer(302, b"", {"Location": "http://example.com/"}),
    }
    with Site(routes) as site:
        _, events = crawl(config_for(site, follow_pdfs=False), store_config)
    urls = by_url(events)
    base = site.base
    assert urls[f"{base}/a.pdf"]["reason"] == "pdf_disabled"
    assert urls[f"{base}/download"]["reason"] == "pdf_disabled"  # known by Content-Type
    assert (urls[f"{base}/hidden"]["outcome"], urls[f"{base}/hidden"]["reason"]) == (
        "skipped",
        "noindex",
    )
    assert urls[f"{base}/behind"]["outcome"] == "fetched_new"  # noindex, but follow
    away = urls["http://example.com/"]
    assert (away["outcome"], away["reason"]) == ("skipped", "redirect_out_of_scope_domain")


def test_a_child_that_ignores_sigterm_is_killed(store_config, tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\ntrap '' TERM\nexec sleep 30\n")
    fake.chmod(0o755)
    config = config_for(SimpleNamespace(base="http://127.0.0.1:9"))
    started = time.monotonic()

    def cancel() -> bool:
        return time.monotonic() - started > 1.0  # after the shell has set its trap

    result = run_crawl(
        config, store_config, [].append, cancel=cancel, python=str(fake), term_wait_s=0.5
    )
    assert time.monotonic() - started < 10
    assert result.finish_reason == "cancelled"
    assert result.returncode == -9


def test_an_error_in_the_callback_stops_the_child(store_config):
    def explode(event):
        raise RuntimeError("consumer broke")

    with Site(many_pages(30, delay_s=0.5)) as site:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="consumer broke"):
            run_crawl(config_for(site, concurrency_per_host=1), store_config, explode)
    assert time.monotonic() - started < 15


def test_redirect_to_cloud_metadata_is_refused_even_in_scope(store_config):
    routes = {
        "/": html("Home", "/meta"),
        "/meta": Answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}),
    }
    with Site(routes) as site:
        # Even an editor who puts the address in scope does not get it fetched.
        config = config_for(site, allowed_domains=("127.0.0.1", "169.254.169.254"))
        result, events = crawl(config, store_config)
    meta = by_url(events)["http://169.254.169.254/latest/meta-data/"]
    assert meta["outcome"] == "skipped"
    assert meta["reason"] == "refused_address: cloud_metadata: 169.254.169.254"
    assert meta["requested_url"] == f"{site.base}/meta"
    assert result.complete


def test_server_errors_are_retried_then_logged_as_failed(store_config):
    calls = []

    def broken(_handler) -> Answer:
        calls.append(time.monotonic())
        return Answer(500, b"oops", {"Content-Type": "text/plain"})

    with Site({"/": html("Home", "/broken"), "/broken": broken}) as site:
        result, events = crawl(config_for(site, retry_times=1), store_config)
    broken_event = by_url(events)[f"{site.base}/broken"]
    assert (broken_event["outcome"], broken_event["reason"]) == ("failed", "http_500")
    assert broken_event["status"] == 500
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.45  # backed off before the retry
    assert result.complete  # a failed page does not make the run incomplete
