"""How a crawl run ends: which documents are gone, and why a crawl was incomplete.

A page is gone when the site answered 404/410 (at once, during the crawl) or when
``CRAWLER_GONE_AFTER_MISSED_CRAWLS`` complete crawls in a row did not reach it (a counter on
the Document, reset whenever a crawl sees the page). An incomplete crawl — stopped, cut short
by a limit, or one whose site did not answer (crawler.completeness) — marks nothing gone.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.documents.models import Document, url_key
from backend.ops.stores import page_store
from backend.sources.models import CrawlLogEntry, CrawlRun
from backend.sources.signals import crawl_ended
from crawler.events import Outcome
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)

# A page in one of these states this run is not missing: it exists (failing pages included:
# a 500 says "try later", not "gone").
PRESENT = (Outcome.FETCHED_NEW, Outcome.FETCHED_CHANGED, Outcome.UNCHANGED, Outcome.FAILED)


def mark_unseen_documents_gone(run: CrawlRun) -> int:
    """After a complete run: count one more missed crawl for every document of the source the
    run did not reach, and mark those missed often enough gone. Returns how many went."""
    present = {
        url_key(url)
        for url in CrawlLogEntry.objects.filter(run=run, outcome__in=PRESENT).values_list(
            "url", flat=True
        )
    }
    limit = settings.CRAWLER_GONE_AFTER_MISSED_CRAWLS
    store = page_store()
    gone = 0
    with transaction.atomic():
        CrawlRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        unseen = (
            Document.objects.filter(source=run.source)
            .exclude(status=Document.Status.GONE)
            .exclude(url_hash__in=present)
        )
        unseen.update(missed_crawls=F("missed_crawls") + 1)
        for doc in unseen.filter(missed_crawls__gte=limit):
            store.mark_gone(doc.url, run_id=str(run.pk))
            doc.status = Document.Status.GONE
            doc.save(update_fields=["status", "updated_at"])
            CrawlLogEntry.objects.create(
                run=run,
                url=doc.url,
                outcome=Outcome.GONE,
                reason=f"not reached in {limit} complete crawls",
                at=timezone.now(),
            )
            enqueue_on_commit(Task.DELETE_DOCUMENT, doc.pk)
            gone += 1
        if gone:
            CrawlRun.objects.filter(pk=run.pk).update(gone=F("gone") + gone)
    return gone


def incomplete_reason_text(finish_reason: str, report: dict) -> str:
    """The English detail stored in the run's ``error`` when the site did not answer; the
    admin shows the editor a translated explanation of ``finish_reason`` above it."""
    unreachable = report.get("unreachable") or []
    if finish_reason in ("site_unreachable", "login_failed") and unreachable:
        what = {
            "start_url": "start URL",
            "sitemap": "sitemap",
            "robots": "robots.txt",
            "wiki_api": "wiki API",
            "login": "wiki login",
        }
        listed = "; ".join(
            f"{what.get(item.get('what'), item.get('what'))} {item.get('url')}: "
            f"{item.get('reason')}"
            for item in unreachable[:5]
        )
        return f"Could not be fetched: {listed}."
    if finish_reason == "too_many_failures":
        failed, answered = report.get("known_failed", 0), report.get("known_answered", 0)
        return f"{failed} of {failed + answered} known pages failed (server errors, timeouts)."
    return ""


def end_run(
    run: CrawlRun, status: str, reason: str, error: str, *, complete: bool = False
) -> CrawlRun:
    CrawlRun.objects.filter(pk=run.pk).update(
        status=status,
        finished_at=timezone.now(),
        finish_reason=reason[:100],
        error=error,
        complete=complete,
    )
    run.refresh_from_db()
    logger.info("crawl run %s ended: %s (%s)", run.pk, status, reason)
    crawl_ended.send(sender=CrawlRun, run=run)
    return run


def crash_text(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        import signal

        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"The crawl process was killed ({name})."
    return f"The crawl process ended unexpectedly (exit code {returncode})."
