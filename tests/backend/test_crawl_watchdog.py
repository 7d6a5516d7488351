"""No crawl stays "running" after its worker or server died: heartbeats, the watchdog, Stop,
and the embedded server's recovery at start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.documents.models import Document
from backend.ops.recovery import recover_after_restart
from backend.sources.crawling import RunPulse, RunRecorder
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import CrawlAlreadyRunning, end_dead_runs, request_stop, start_crawl
from workers.names import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(name="Verein", start_urls="https://verein.example/")


@pytest.fixture
def sent(monkeypatch):
    """Tasks sent, instead of running them."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        "workers.dispatch.enqueue", lambda name, *args, **kw: calls.append((name, *args))
    )
    monkeypatch.setattr(
        "backend.ops.recovery.enqueue", lambda name, *args, **kw: calls.append((name, *args))
    )
    return calls


def running(source, *, silent_for: timedelta | None, started_ago=timedelta(hours=1)) -> CrawlRun:
    now = timezone.now()
    return CrawlRun.objects.create(
        source=source,
        status=CrawlRun.Status.RUNNING,
        started_at=now - started_ago,
        heartbeat_at=None if silent_for is None else now - silent_for,
    )


def test_the_watchdog_ends_silent_runs_within_its_timeout(source, settings):
    settings.CRAWLER_WATCHDOG_TIMEOUT = 300
    other = Source.objects.create(name="Schule", start_urls="https://schule.example/")
    third = Source.objects.create(name="Kita", start_urls="https://kita.example/")
    dead = running(source, silent_for=timedelta(seconds=301))
    alive = running(other, silent_for=timedelta(seconds=20))
    never_beat = running(third, silent_for=None, started_ago=timedelta(minutes=10))

    assert end_dead_runs() == 2
    for run in (dead, alive, never_beat):
        run.refresh_from_db()
    assert (dead.status, dead.finish_reason) == ("failed", "abandoned")
    assert "heartbeat" in dead.error
    assert never_beat.status == "failed"
    assert alive.status == "running"
    assert end_dead_runs() == 0  # idempotent

    with pytest.raises(CrawlAlreadyRunning):
        start_crawl(other)
    assert start_crawl(source).status == CrawlRun.Status.QUEUED  # no 409 any more


def test_stop_ends_a_run_whose_worker_is_gone_at_once(source, settings, admin_client):
    settings.CRAWLER_HEARTBEAT_INTERVAL = 30
    orphan = running(source, silent_for=timedelta(seconds=95))
    response = admin_client.post(f"/api/v1/runs/{orphan.pk}/stop/")
    assert response.status_code == 202
    orphan.refresh_from_db()
    assert (orphan.status, orphan.finish_reason) == ("cancelled", "cancelled")
    assert orphan.finished_at is not None
    response = admin_client.post(f"/api/v1/sources/{source.pk}/crawl/")
    assert response.status_code == 202, response.json()


def test_stop_leaves_a_live_crawl_to_stop_itself(source, settings):
    settings.CRAWLER_HEARTBEAT_INTERVAL = 30
    live = running(source, silent_for=timedelta(seconds=10))
    assert request_stop(live)
    live.refresh_from_db()
    assert (live.status, live.stop_requested) == ("running", True)


def test_the_heartbeat_beats_without_events(source, settings, monkeypatch):
    settings.CRAWLER_HEARTBEAT_INTERVAL = 30
    clock = [1000.0]
    monkeypatch.setattr("backend.sources.crawling.time.monotonic", lambda: clock[0])
    run = running(source, silent_for=timedelta(minutes=4))
    before = CrawlRun.objects.get(pk=run.pk).heartbeat_at
    pulse = RunPulse(run.pk)
    clock[0] += 10
    assert pulse() is False
    assert CrawlRun.objects.get(pk=run.pk).heartbeat_at == before  # not yet
    clock[0] += 25
    pulse()
    assert CrawlRun.objects.get(pk=run.pk).heartbeat_at > before
    CrawlRun.objects.filter(pk=run.pk).update(stop_requested=True)
    clock[0] += 1
    assert pulse() is True


def test_recovery_at_start_takes_up_what_the_dead_server_left(source, sent):
    other = Source.objects.create(name="Schule", start_urls="https://schule.example/")
    left_running = running(source, silent_for=timedelta(seconds=5))
    left_queued = CrawlRun.objects.create(source=other)
    pending = Document.objects.create(
        source=source, url="https://verein.example/a", content_hash="h1"
    )
    Document.objects.create(
        source=source, url="https://verein.example/b", status=Document.Status.INDEXED
    )
    gone = Document.objects.create(
        source=source, url="https://verein.example/c", status=Document.Status.GONE, chunk_count=3
    )

    counts = recover_after_restart()

    left_running.refresh_from_db()
    assert (left_running.status, left_running.finish_reason) == ("failed", "interrupted")
    assert sorted(sent) == sorted(
        [
            (Task.CRAWL_SOURCE, left_queued.pk),
            (Task.INGEST_DOCUMENT, pending.pk, "h1"),
            (Task.DELETE_DOCUMENT, gone.pk),
        ]
    )
    assert counts == {
        "interrupted_runs": 1,
        "queued_runs": 1,
        "pending_documents": 1,
        "gone_documents": 1,
    }
    assert start_crawl(source).status == CrawlRun.Status.QUEUED


def test_failed_robots_and_sitemap_fetches_reach_the_per_url_log(source):
    run = CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
    recorder = RunRecorder(run)
    recorder({"event": "robots", "url": "https://verein.example/robots.txt", "status": 503,
              "reason": "http_503", "at": "2026-01-01T10:00:00+00:00"})  # fmt: skip
    recorder({"event": "sitemap", "url": "https://verein.example/sitemap.xml", "status": None,
              "kind": "", "urls": 0, "reason": "connection_refused"})  # fmt: skip
    recorder({"event": "sitemap", "url": "https://verein.example/ok.xml", "status": 200,
              "kind": "urlset", "urls": 4, "reason": ""})  # fmt: skip
    recorder.flush()
    entries = sorted(CrawlLogEntry.objects.filter(run=run).values_list("reason", "http_status"))
    assert entries == [("robots.txt: http_503", 503), ("sitemap: connection_refused", None)]
    run.refresh_from_db()
    assert (run.failed, run.discovered) == (0, 0)  # no page, so no page counter
