"""Index documents again (after a parser or embedding change), with a progress bar."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.documents.cleanup import prune_index
from backend.documents.management.commands.prune_index import open_vector_store
from backend.documents.models import Document
from backend.documents.services import reindex
from backend.knowledge.services import reindex_entries
from backend.ops.progress import ProgressBar
from backend.uploads.services import reindex_uploads
from workers.dispatch import enqueue
from workers.names import Task


class Command(BaseCommand):
    help = (
        "Re-index documents, knowledge entries and uploads: all, one source's documents (--source), "
        "or only the failed ones (--failed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", type=int, action="append", help="source id (repeatable)")
        parser.add_argument("--failed", action="store_true", help="only documents that failed")
        parser.add_argument("--wait", action="store_true", help="wait until they are indexed")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument("--timeout", type=float, default=6 * 3600)

    def handle(self, *args, source, failed, wait, as_json, timeout, **options):
        if settings.TASKS_EMBEDDED:
            wait = True  # the in-process worker lives in this process: leaving would drop the work
        # Indexing again must not keep chunks of deleted documents (nor bring them back).
        if settings.TASKS_EMBEDDED or settings.QDRANT_URL:
            open_vector_store()  # one sentence, not a traceback, while `make run` holds it
            pruned = len(prune_index().orphaned_documents)
        else:
            # Workers with Qdrant local mode own its folder: the main worker prunes.
            enqueue(Task.DAILY_MAINTENANCE)
            pruned = None
        documents = Document.objects.all()
        if source:
            documents = documents.filter(source_id__in=source)
        if failed:
            documents = documents.filter(status=Document.Status.FAILED)
        ids = list(documents.exclude(status=Document.Status.GONE).values_list("pk", flat=True))
        queued = reindex(Document.objects.filter(pk__in=ids))
        # editors' entries are in the same collection: a new embedding model needs them too
        entries = 0 if source else reindex_entries(failed_only=failed)
        uploads = 0 if source else reindex_uploads(failed_only=failed)  # the same, for uploads
        if not as_json:
            if pruned:
                self.stderr.write(f"Removed the chunks of {pruned} deleted documents.")
            self.stderr.write(f"{queued} documents queued for indexing.")
            if entries:
                self.stderr.write(f"{entries} knowledge entries queued for indexing.")
            if uploads:
                self.stderr.write(f"{uploads} uploads queued for indexing.")
        counts = {
            "queued": queued, "pruned": pruned, "entries_queued": entries,
            "uploads_queued": uploads,
        }  # fmt: skip
        if wait and queued:
            counts.update(self._wait(ids, timeout, quiet=as_json))
        if as_json:
            self.stdout.write(json.dumps(counts))
        elif wait:
            self.stdout.write(
                "Indexed {indexed}, failed {failed}, pending {pending}.".format(**counts)
            )

    def _wait(self, ids: list[int], timeout: float, *, quiet: bool) -> dict:
        bar = None if quiet else ProgressBar(self.stderr._out)
        deadline = time.monotonic() + timeout
        while True:
            docs = Document.objects.filter(pk__in=ids)
            counts = {
                status: docs.filter(status=status).count()
                for status in ("indexed", "failed", "pending")
            }
            if bar:
                bar.update(counts["indexed"] + counts["failed"], len(ids), "documents indexed")
            if counts["pending"] == 0:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"{counts['pending']} documents still pending after {timeout:g}s."
                )
            time.sleep(0.5)
        if bar:
            bar.close()
        return counts
