"""The embedded default starts again after a crash: what the dead process left is taken up.

Only ``manage.py serve`` calls this, in the embedded default, right after it took the
embedded-stores lock: the lock proves no other Lotse process is alive that could own a
running crawl, and the in-process queue died with the process that held it. So, at once
rather than after the watchdog's timeout:

- crawls left *running* end as failed ("interrupted": start them again; the run's per-URL
  log shows how far they came), so the source can be crawled again,
- crawls left *queued* are sent again,
- documents left waiting for indexing are indexed, and gone ones still in the index removed.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from backend.documents.models import Document
from backend.sources.models import CrawlRun
from workers.dispatch import enqueue
from workers.names import Task

logger = logging.getLogger(__name__)


def recover_after_restart() -> dict[str, int]:
    """Take up what a dead embedded server left. Idempotent: a second call finds nothing
    running and sends the same (idempotent) tasks again."""
    interrupted = CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).update(
        status=CrawlRun.Status.FAILED,
        finished_at=timezone.now(),
        finish_reason="interrupted",
        error="The server stopped while this crawl ran. Start it again.",
    )
    queued = list(
        CrawlRun.objects.filter(status=CrawlRun.Status.QUEUED).values_list("pk", flat=True)
    )
    for run_id in queued:
        enqueue(Task.CRAWL_SOURCE, run_id)
    pending = list(
        Document.objects.filter(status=Document.Status.PENDING).values_list("pk", "content_hash")
    )
    for document_id, content_hash in pending:
        enqueue(Task.INGEST_DOCUMENT, document_id, content_hash)
    gone = list(
        Document.objects.filter(status=Document.Status.GONE, chunk_count__gt=0).values_list(
            "pk", flat=True
        )
    )
    for document_id in gone:
        enqueue(Task.DELETE_DOCUMENT, document_id)
    counts = {
        "interrupted_runs": interrupted,
        "queued_runs": len(queued),
        "pending_documents": len(pending),
        "gone_documents": len(gone),
    }
    if any(counts.values()):
        logger.warning("taken up after the last server stopped: %s", counts)
    return counts
