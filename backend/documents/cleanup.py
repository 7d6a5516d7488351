"""What an editor deletes leaves the index: deleted Documents and Sources lose their chunks
(and a source its pages in the page store), and orphaned chunks are pruned.

Deleting rows never talks to Qdrant itself: a ``post_delete`` receiver sends a clean-up task
after the commit (so deleting works while Qdrant is away, and the task retries). Every path
deletes through the ORM collector, which sends the signal for each row: ``Model.delete()``
(admin change page, API) and ``QuerySet.delete()`` (the admin's bulk action) alike. Until the
task has run, the chat leaves the chunks of documents that no longer exist out
(``backend.documents.selectors.dead_document_ids``), so nothing deleted is cited meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.db.models.signals import post_delete

from backend.documents.models import Document
from backend.ops.stores import page_store, vector_client
from backend.sources.models import Source
from backend.wiring import rag_config
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)

# Documents checked against the database (and deleted from Qdrant) per query.
BATCH = 500


def _deleted_with_a_source(origin) -> bool:
    if isinstance(origin, Source):
        return True
    return isinstance(origin, QuerySet) and origin.model is Source


def on_document_deleted(sender, instance: Document, origin=None, **kwargs) -> None:
    # A deleted source's documents leave with one filter delete (its own task), not one task
    # per document.
    if _deleted_with_a_source(origin):
        return
    enqueue_on_commit(Task.DELETE_DOCUMENT, instance.pk)


def on_source_deleted(sender, instance: Source, **kwargs) -> None:
    enqueue_on_commit(Task.DELETE_SOURCE, instance.pk)


def connect_signals() -> None:
    post_delete.connect(on_document_deleted, sender=Document, dispatch_uid="lotse-doc-cleanup")
    post_delete.connect(on_source_deleted, sender=Source, dispatch_uid="lotse-source-cleanup")


def _collection() -> tuple[object, str | None]:
    """The vector client and the collection the chat searches (None: nothing indexed yet).
    Collections of other embedding configurations are not searched and not touched."""
    from rag.ingest import collection_for
    from rag.store.collections import collection_exists

    client = vector_client()
    collection = collection_for(rag_config())
    return client, collection if collection_exists(client, collection) else None


def purge_source(source_id: int) -> int:
    """Remove a deleted source's chunks from the index and its pages from the page store
    (pages another source shares stay, without this source). Returns the pages deleted.

    Raises when Qdrant or the page store is unreachable, so the task retries; a second run
    finds nothing left to remove."""
    from rag.store.points import delete_source

    if Source.objects.filter(pk=source_id).exists():
        logger.warning("source %s still exists; not purging it", source_id)
        return 0
    client, collection = _collection()
    if collection is not None:
        delete_source(client, collection, str(source_id))
    deleted = page_store().forget_source(str(source_id))
    logger.info("deleted source %s: chunks removed, %s stored pages deleted", source_id, deleted)
    return deleted


@dataclass
class PruneReport:
    collection: str = ""
    documents_in_index: int = 0
    orphaned_documents: list[str] = field(default_factory=list)
    orphaned_sources: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "collection": self.collection,
            "documents_in_index": self.documents_in_index,
            "orphaned_documents": len(self.orphaned_documents),
            "orphaned_sources_in_page_store": len(self.orphaned_sources),
            "dry_run": self.dry_run,
        }


def orphaned_entries(owners: dict[str, str]) -> list[str]:
    """The index ids of knowledge entries (``entry-<id>``) whose row is gone."""
    from backend.knowledge.models import KnowledgeEntry
    from backend.knowledge.selectors import ENTRY_PREFIX

    wanted = {
        d: int(d[len(ENTRY_PREFIX) :])
        for d in owners
        if d.startswith(ENTRY_PREFIX) and d[len(ENTRY_PREFIX) :].isdigit()
    }
    live = set(KnowledgeEntry.objects.filter(pk__in=wanted.values()).values_list("pk", flat=True))
    return sorted(d for d, pk in wanted.items() if pk not in live)


def orphaned_uploads(owners: dict[str, str]) -> list[str]:
    """The index ids of uploads (``upload-<id>``) whose row is gone."""
    from backend.uploads.models import INDEX_PREFIX, Upload

    wanted = {
        d: int(d[len(INDEX_PREFIX) :])
        for d in owners
        if d.startswith(INDEX_PREFIX) and d[len(INDEX_PREFIX) :].isdigit()
    }
    live = set(Upload.objects.filter(pk__in=wanted.values()).values_list("pk", flat=True))
    return sorted(d for d, pk in wanted.items() if pk not in live)


def prune_index(*, dry_run: bool = False) -> PruneReport:
    """Remove chunks whose document (or knowledge entry, or upload) no longer exists (or is gone) and
    page-store pages of sources that no longer exist: what a lost clean-up task left behind. Idempotent: a second
    run finds no orphans. ``dry_run`` only counts them."""
    from rag.store.points import chunk_owners, delete_documents

    report = PruneReport(dry_run=dry_run)
    client, collection = _collection()
    if collection is not None:
        report.collection = collection
        owners = chunk_owners(client, collection)
        report.documents_in_index = len(owners)
        # Only Document ids are judged (the index may hold other kinds of entries one day).
        ids = sorted(int(d) for d in owners if d.isdigit())
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            live = {
                str(pk): str(source_id)
                for pk, source_id in Document.objects.filter(pk__in=batch)
                .exclude(status=Document.Status.GONE)
                .values_list("pk", "source_id")
            }
            orphans = [str(d) for d in batch if live.get(str(d)) != owners[str(d)]]
            report.orphaned_documents.extend(orphans)
            if orphans and not dry_run:
                delete_documents(client, collection, orphans)
        orphans = orphaned_entries(owners) + orphaned_uploads(owners)
        report.orphaned_documents.extend(orphans)
        if orphans and not dry_run:
            delete_documents(client, collection, orphans)
        if not dry_run:
            Document.objects.filter(status=Document.Status.GONE, chunk_count__gt=0).update(
                chunk_count=0
            )
    store = page_store()
    from backend.uploads.services import UPLOAD_GROUP

    # the uploads' files are the page store's pages of no source, kept while uploads live
    existing = {str(pk) for pk in Source.objects.values_list("pk", flat=True)} | {UPLOAD_GROUP}
    report.orphaned_sources = sorted(set(store.source_ids()) - existing)
    if not dry_run:
        for source_id in report.orphaned_sources:
            store.forget_source(source_id)
        from backend.uploads.services import forget_orphaned_files

        forget_orphaned_files()
    logger.info("prune_index: %s", report.as_dict())
    return report
