"""Running one crawl: the crawler's per-URL events become counters, log lines and Documents.

The crawl itself runs in a Scrapy child process (``crawler.run``); this module is what the
``crawler`` task calls. Events are written in batches (one transaction per batch), so the
database keeps up with the spider, and ingest/delete tasks are sent after each commit.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.documents.models import Document, url_key
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.run_end import (
    crash_text,
    end_run,
    incomplete_reason_text,
    mark_unseen_documents_gone,
)
from backend.wiring import crawl_config, page_store_config
from crawler.config import CrawlConfigError
from crawler.events import Outcome
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)

# Crawler outcomes that prove a page is there (its missed-crawls counter starts again).
SEEN_OUTCOMES = (Outcome.FETCHED_NEW, Outcome.FETCHED_CHANGED, Outcome.UNCHANGED)
# the CrawlRun counters each outcome of a page adds to (its log entry keeps the outcome)
COUNTERS: dict[Outcome, tuple[str, ...]] = {
    Outcome.FETCHED_NEW: ("fetched", "new"),
    Outcome.FETCHED_CHANGED: ("fetched", "changed"),
    Outcome.UNCHANGED: ("fetched", "unchanged"),
    Outcome.SKIPPED: ("skipped",),
    Outcome.FAILED: ("failed",),
    Outcome.GONE: ("gone",),
}
# Fetches a crawl needs that are no page: their failures are logged with this prefix.
AUX_EVENTS = {"robots": "robots.txt", "sitemap": "sitemap", "wiki": "wiki API"}


class RunRecorder:
    """Receives crawler events in order and writes them to the database in batches."""

    def __init__(self, run: CrawlRun, *, batch_size: int = 200, batch_seconds: float = 1.0):
        self.run = run
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self._events: list[dict] = []
        self._aux_failures: list[dict] = []
        self._last_flush = time.monotonic()

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind in AUX_EVENTS and event.get("reason"):
            self._aux_failures.append(event)  # a robots.txt or sitemap that failed
        elif kind != "url" or event.get("outcome") not in COUNTERS:
            return
        else:
            self._events.append(event)
        if (
            len(self._events) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.batch_seconds
        ):
            self.flush()

    def flush(self) -> None:
        events, self._events = self._events, []
        aux, self._aux_failures = self._aux_failures, []
        self._last_flush = time.monotonic()
        if aux:
            # In the per-URL log, but no page: no counter, no Document.
            CrawlLogEntry.objects.bulk_create(_aux_log_entry(self.run, event) for event in aux)
        if not events:
            return
        with transaction.atomic():
            counters: Counter[str] = Counter()
            entries = []
            for event in events:
                outcome = Outcome(event["outcome"])
                counters.update(COUNTERS[outcome])
                entries.append(_log_entry(self.run, event, outcome))
            counters["discovered"] = len(events)
            CrawlLogEntry.objects.bulk_create(entries)
            _apply_to_documents(self.run.source, events)
            CrawlRun.objects.filter(pk=self.run.pk).update(
                heartbeat_at=timezone.now(), **{name: F(name) + n for name, n in counters.items()}
            )


def _log_entry(run: CrawlRun, event: dict, outcome: Outcome) -> CrawlLogEntry:
    return CrawlLogEntry(
        run=run,
        url=str(event.get("url", ""))[:2000],
        outcome=outcome,
        reason=str(event.get("reason") or "")[:300],
        http_status=event.get("status") if isinstance(event.get("status"), int) else None,
        content_type=str(event.get("content_type") or "")[:100],
        depth=min(int(event.get("depth") or 0), 32767),
        at=_parse_time(event.get("at")),
    )


def _aux_log_entry(run: CrawlRun, event: dict) -> CrawlLogEntry:
    return CrawlLogEntry(
        run=run,
        url=str(event.get("url", ""))[:2000],
        outcome=Outcome.FAILED,
        reason=f"{AUX_EVENTS[event['event']]}: {event.get('reason')}"[:300],
        http_status=event.get("status") if isinstance(event.get("status"), int) else None,
        at=_parse_time(event.get("at")),
    )


def _parse_time(value) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _apply_to_documents(source: Source, events: list[dict]) -> None:
    """New and changed pages (and unchanged ones not yet indexed) get ingested; gone ones deleted."""
    by_hash = {url_key(e["url"]): e for e in events if e["outcome"] != Outcome.SKIPPED}
    seen = [key for key, e in by_hash.items() if e["outcome"] in SEEN_OUTCOMES]
    Document.objects.filter(source=source, url_hash__in=seen, missed_crawls__gt=0).update(
        missed_crawls=0
    )
    existing = {
        doc.url_hash: doc
        for doc in Document.objects.filter(source=source, url_hash__in=list(by_hash))
    }
    to_create, to_ingest, to_delete = [], [], []
    for key, event in by_hash.items():
        doc = existing.get(key)
        outcome = event["outcome"]
        if outcome == Outcome.GONE:
            if doc is not None and doc.status != Document.Status.GONE:
                doc.status = Document.Status.GONE
                doc.save(update_fields=["status", "updated_at"])
                to_delete.append(doc.pk)
            continue
        if outcome == Outcome.FAILED:
            continue
        fresh = outcome in (Outcome.FETCHED_NEW, Outcome.FETCHED_CHANGED)
        if doc is None:
            to_create.append(_new_document(source, event, key))
        elif fresh or doc.status in (Document.Status.GONE, Document.Status.PENDING):
            doc.title = str(event.get("title") or event.get("link_text") or doc.title)[:500]
            doc.content_type = str(event.get("content_type") or doc.content_type)[:100]
            doc.content_hash = event.get("content_hash") or doc.content_hash
            doc.status, doc.error = Document.Status.PENDING, ""
            doc.save()
            to_ingest.append((doc.pk, doc.content_hash))
    if to_create:
        Document.objects.bulk_create(to_create, ignore_conflicts=True)
        created = Document.objects.filter(
            source=source, url_hash__in=[doc.url_hash for doc in to_create]
        ).values_list("pk", "content_hash")
        to_ingest.extend(created)
    for document_id, content_hash in to_ingest:
        enqueue_on_commit(Task.INGEST_DOCUMENT, document_id, content_hash)
    for document_id in to_delete:
        enqueue_on_commit(Task.DELETE_DOCUMENT, document_id)


def _new_document(source: Source, event: dict, key: str) -> Document:
    return Document(
        source=source,
        url=event["url"][:2000],
        url_hash=key,
        # a PDF has no <title>: the link text is the indexer's title hint
        title=str(event.get("title") or event.get("link_text") or "")[:500],
        content_type=str(event.get("content_type") or "")[:100],
        content_hash=event.get("content_hash") or "",
        status=Document.Status.PENDING,
    )


def claim_run(run_id: int) -> CrawlRun | None:
    """Take a queued run (or one whose worker died mid-crawl) and start it afresh.

    A redelivered task finds its run "running": the counters and log of the lost attempt are
    reset, so a rerun ends exactly like a first run. Returns None if the run has ended.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = CrawlRun.objects.filter(
            pk=run_id, status__in=CrawlRun.ACTIVE_STATUSES, stop_requested=False
        ).update(
            status=CrawlRun.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error="",
            **{name: 0 for name in CrawlRun.COUNTERS},
        )
        if not claimed:
            return None
        CrawlLogEntry.objects.filter(run_id=run_id).delete()
    return CrawlRun.objects.select_related("source").get(pk=run_id)


def execute_crawl(run_id: int) -> CrawlRun | None:
    """The crawler task's body: claim, crawl in a child process, record, finish."""
    from crawler.run import CrawlError, keep_warm, run_crawl

    # From the second crawl in this worker process on, the crawl process is already loaded.
    keep_warm()
    run = claim_run(run_id)
    if run is None:
        logger.info("crawl run %s has ended or is gone; nothing to do", run_id)
        return None
    try:
        config = crawl_config(run)
    except CrawlConfigError as exc:
        return end_run(
            run, CrawlRun.Status.FAILED, "invalid_source", f"The source is invalid: {exc}"
        )

    recorder = RunRecorder(run)
    try:
        result = run_crawl(config, page_store_config(), recorder, cancel=RunPulse(run.pk))
    except CrawlError as exc:
        recorder.flush()
        return end_run(run, CrawlRun.Status.FAILED, "not_started", str(exc))
    except Exception as exc:
        recorder.flush()
        logger.exception("crawl run %s failed", run.pk)
        end_run(run, CrawlRun.Status.FAILED, "error", f"{type(exc).__name__}: {exc}")
        raise
    recorder.flush()
    if result.finish_reason == "cancelled":
        return end_run(run, CrawlRun.Status.CANCELLED, "cancelled", "")
    if result.finish_reason == "crashed":
        return end_run(run, CrawlRun.Status.FAILED, "crashed", crash_text(result.returncode))
    if result.complete:
        mark_unseen_documents_gone(run)
    detail = incomplete_reason_text(result.finish_reason, result.report)
    return end_run(
        run, CrawlRun.Status.FINISHED, result.finish_reason, detail, complete=result.complete
    )


class RunPulse:
    """Polled by the crawl runner twice a second while the child runs: says whether the
    editor asked to stop (the database once a second is plenty) and writes the run's
    heartbeat every ``CRAWLER_HEARTBEAT_INTERVAL`` seconds, events or not, so the watchdog can
    tell a quiet crawl (long Crawl-delay, slow site) from one whose worker died."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self._checked_at = 0.0
        self._beat_at = time.monotonic()
        self._stop = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._beat_at >= settings.CRAWLER_HEARTBEAT_INTERVAL:
            self._beat_at = now
            CrawlRun.objects.filter(pk=self.run_id).update(heartbeat_at=timezone.now())
        if now - self._checked_at >= 1.0:
            self._checked_at = now
            self._stop = CrawlRun.objects.filter(pk=self.run_id, stop_requested=True).exists()
        return self._stop
