"""Crawls that go wrong, with the real spider in its child process and the real index: a site
that is down, a page failing now and then, a page that comes back, a crashing crawl process,
an editor pressing Stop."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.test import override_settings
from django.utils import translation

from backend.chat.retrieval import retrieve
from backend.documents.models import Document
from backend.sources.crawling import RunRecorder
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import request_stop, start_crawl
from tests.crawler.sites import Answer, Site, html
from workers.inprocess import get_worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
    pytest.mark.timeout(300),
]


@pytest.fixture(autouse=True)
def local_sites_allowed():
    with override_settings(CRAWLER_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield


def crawl(source: Source) -> CrawlRun:
    run = start_crawl(source, CrawlRun.Trigger.CLI)
    assert get_worker().wait_idle(timeout=180), "crawl and indexing did not finish"
    run.refresh_from_db()
    return run


def verein(site) -> Source:
    return Source.objects.create(name="Verein", start_urls=site.base + "/", download_delay=0)


def answers(question: str, site) -> set[str]:
    return {hit.url.removeprefix(site.base) for hit in retrieve(question, [], 5)}


def documents() -> dict[str, str]:
    return dict(Document.objects.values_list("url", "status"))


def test_a_site_that_is_down_empties_nothing(verein_site):
    source = verein(verein_site)
    assert crawl(source).complete
    indexed = documents()
    assert set(indexed.values()) == {Document.Status.INDEXED} and len(indexed) == 4

    # Maintenance window: every URL, robots.txt included, answers 503 (after the retries).
    maintenance = Answer(503, b"Wartungsarbeiten", {"Content-Type": "text/plain"})
    saved = dict(verein_site.routes)
    verein_site.routes.clear()
    verein_site.routes.update(dict.fromkeys(saved, maintenance))
    down = crawl(source)
    assert (down.status, down.complete, down.gone) == (CrawlRun.Status.FINISHED, False, 0)
    assert down.finish_reason == "site_unreachable"
    assert f"start URL {verein_site.base}/: http_503" in down.error
    reasons = set(CrawlLogEntry.objects.filter(run=down).values_list("reason", flat=True))
    assert "robots.txt: http_503" in reasons

    # The server is off altogether: connection refused.
    verein_site.shutdown()
    verein_site.server_close()
    off = crawl(source)
    assert (off.complete, off.finish_reason, off.gone) == (False, "site_unreachable", 0)
    assert "connection_refused" in off.error
    with translation.override("de"):
        assert "nichts wurde entfernt" in off.explanation
    with translation.override("en"):
        assert "nothing was removed" in off.explanation

    assert documents() == indexed  # nothing gone, nothing pending
    assert set(Document.objects.values_list("missed_crawls", flat=True)) == {0}
    assert "/training/" in answers("Wann ist Kinderturnen?", verein_site)


@override_settings(CRAWLER_GONE_AFTER_MISSED_CRAWLS=1, CRAWLER_MAX_FAILED_SHARE=0.5)
def test_a_page_failing_in_an_otherwise_complete_crawl_stays(verein_site):
    source = verein(verein_site)
    assert crawl(source).complete
    verein_site.routes["/training/"] = Answer(500, b"oops", {"Content-Type": "text/plain"})
    run = crawl(source)
    assert run.complete, run.error  # 1 of 4 known pages, below the bound set here
    failed = CrawlLogEntry.objects.get(run=run, url=verein_site.base + "/training/")
    assert (failed.outcome, failed.reason) == ("failed", "http_500")
    training = Document.objects.get(url=verein_site.base + "/training/")
    assert (training.status, training.missed_crawls) == (Document.Status.INDEXED, 0)
    assert "/training/" in answers("Wann ist Kinderturnen?", verein_site)


def test_a_gone_page_that_comes_back_is_answered_again(verein_site):
    source = verein(verein_site)
    crawl(source)
    training = verein_site.routes["/training/"]
    verein_site.routes["/training/"] = Answer(410, b"gone", {"Content-Type": "text/plain"})
    assert crawl(source).gone == 1
    assert "/training/" not in answers("Wann ist Kinderturnen?", verein_site)

    verein_site.routes["/training/"] = training
    back = crawl(source)
    assert back.new == 1, back.error  # its copy was dropped when it went: fetched anew
    doc = Document.objects.get(url=verein_site.base + "/training/")
    assert (doc.status, doc.missed_crawls) == (Document.Status.INDEXED, 0) and doc.chunk_count
    assert "/training/" in answers("Wann ist Kinderturnen?", verein_site)


def test_a_crawl_process_that_crashes_fails_the_run_with_a_reason(verein_site, monkeypatch):
    source = verein(verein_site)
    original = RunRecorder.__call__

    def kill_the_child_when_it_starts(self, event):
        if event.get("event") == "started":
            os.kill(event["pid"], signal.SIGKILL)
        original(self, event)

    monkeypatch.setattr(RunRecorder, "__call__", kill_the_child_when_it_starts)
    run = crawl(source)
    assert (run.status, run.finish_reason, run.complete) == ("failed", "crashed", False)
    assert run.error == "The crawl process was killed (SIGKILL)."
    with translation.override("de"):
        assert run.explanation.startswith("Fehlgeschlagen")
    monkeypatch.undo()
    assert crawl(source).status == CrawlRun.Status.FINISHED  # the source is not stuck


def slow_site(pages: int = 30, delay_s: float = 0.3) -> Site:
    paths = [f"/seite-{number}/" for number in range(pages)]
    routes = {"/": html("Start", *paths)}
    for path in paths:
        routes[path] = html(path)
        routes[path].delay_s = delay_s
    return Site(routes)


def test_stop_ends_a_running_crawl_and_removes_nothing():
    with slow_site() as site:
        source = Source.objects.create(
            name="Langsam", start_urls=site.base + "/", download_delay=0, concurrency_per_host=1
        )
        assert crawl(source).complete
        run = start_crawl(source, CrawlRun.Trigger.ADMIN)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == CrawlRun.Status.RUNNING and run.fetched >= 2:
                break
            time.sleep(0.1)
        assert request_stop(run)
        assert get_worker().wait_idle(timeout=120)
        run.refresh_from_db()
    assert (run.status, run.finish_reason, run.complete) == ("cancelled", "cancelled", False)
    assert 2 <= run.fetched < 31
    assert run.gone == 0
    assert not Document.objects.filter(status=Document.Status.GONE).exists()
