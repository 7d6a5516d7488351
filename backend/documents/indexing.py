"""Indexing use cases: one Document's page becomes chunks in Qdrant, or leaves the index.

The ``rag`` tasks call these. Every outcome lands on the Document: indexed with its chunk
count, or failed with a reason an editor can read. Only transient trouble (``TRANSIENT_ERRORS``:
Qdrant, the embedding service, the page store or the database away) raises, so the task can
retry it.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from backend.documents.models import Document
from backend.ops.stores import dense_embedder, page_store, vector_client
from backend.sources.models import Source
from backend.wiring import rag_config
from rag.embeddings.base import EmbeddingRequestError
from rag.errors import PermanentError, TransientError

logger = logging.getLogger(__name__)

# Errors worth a retry: the same input may well succeed a minute later. The adapters raise
# TransientError for their services (Qdrant, the embedding API, the page store); the built-in
# ones are what a library left untranslated. The database's OperationalError (server gone,
# lock wait timeout, deadlock) counts too: the Document cannot even be marked failed while it
# lasts, and a retry after the backoff usually finds the database back.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
    OperationalError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)


def ingest_document(document_id: int, content_hash: str = "") -> str:
    """Index the stored page of a Document. Returns the Document's new status."""
    from rag.ingest import ingest

    # the source's kind in the same query (one query less per page on a large crawl)
    doc = Document.objects.filter(pk=document_id).annotate(source_kind=F("source__kind")).first()
    if doc is None:
        logger.info("document %s is gone; nothing to index", document_id)
        return "missing"
    if doc.status == Document.Status.GONE:
        return doc.status
    if content_hash and doc.content_hash and content_hash != doc.content_hash:
        logger.info("document %s changed again since this task was sent; skipping", doc.pk)
        return "outdated"
    logger.info("indexing document %s (%s)", doc.pk, doc.url)
    body = page_store().load_body(doc.url)
    if body is None:
        return mark_failed(doc, "The page store has no copy of this page: crawl the source again.")
    try:
        result = ingest(
            body,
            doc.content_type,
            doc.url,
            str(doc.pk),
            str(doc.source_id),
            rag_config(),
            vector_client(),
            dense_embedder=dense_embedder(),
            # the crawler's title: a page's <title>, a PDF's link text
            title_hint=doc.title,
            stale_slots=doc.chunk_slots,
            before_write=lambda count: _reserve_slots(doc, count),
            # a wiki's sections have stable anchors: citations link to the section
            link_sections=doc.source_kind == Source.Kind.MEDIAWIKI,
        )
    except PermanentError as exc:
        _remove_chunks(doc)  # an unreadable new version must not leave the old one findable
        return mark_failed(doc, exc.reason)
    except EmbeddingRequestError as exc:
        _remove_chunks(doc)  # as above: the new version cannot be indexed, the old one is stale
        return mark_failed(doc, f"The embedding service refused the request: {exc}")
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.exception("indexing document %s (%s) failed", doc.pk, doc.url)
        return mark_failed(doc, f"Indexing failed unexpectedly: {type(exc).__name__}: {exc}")
    current = Document.objects.filter(pk=doc.pk, content_hash=doc.content_hash)
    updated = current.exclude(
        status=Document.Status.GONE
    ).update(
        status=Document.Status.INDEXED,
        error="",
        chunk_count=result.chunk_count,
        chunk_slots=result.chunk_count,  # the leftovers above it are deleted by now
        # the parser's choice: never a placeholder such as "Layout 1" or a file name
        title=(result.title or doc.title)[:500],
        language=result.language[:10],
        last_indexed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if updated:
        logger.info("document %s indexed: %s chunks", doc.pk, result.chunk_count)
        return Document.Status.INDEXED
    if not Document.objects.filter(pk=doc.pk).exclude(status=Document.Status.GONE).exists():
        # Deleted (or gone) while it was indexed: its clean-up may have run before these
        # chunks were written, so they go now, or a deleted page would be answered again.
        _remove_points(str(doc.pk), slots=doc.chunk_slots)
        logger.info("document %s was deleted while it was indexed; its chunks are removed", doc.pk)
        return "missing"
    logger.info("document %s changed while it was indexed; the newer task wins", doc.pk)
    return Document.Status.INDEXED


def _reserve_slots(doc: Document, count: int) -> None:
    """Record that the index may hold ``count`` chunks of ``doc`` before they are written."""
    if count > doc.chunk_slots:
        Document.objects.filter(pk=doc.pk).update(chunk_slots=Greatest("chunk_slots", count))
        doc.chunk_slots = count


def mark_failed(doc: Document, reason: str) -> str:
    Document.objects.filter(pk=doc.pk).update(
        status=Document.Status.FAILED,
        error=reason[:2000],
        chunk_count=0,
        updated_at=timezone.now(),
    )
    logger.info("document %s failed: %s", doc.pk, reason)
    return Document.Status.FAILED


def give_up(document_id: int, reason: str) -> None:
    """After the last retry: the Document is failed with ``reason`` and its chunks leave the
    index (they show a version that could not be indexed again). When removing them fails too
    (Qdrant is what is away), the reason says they are still there."""
    doc = Document.objects.filter(pk=document_id).first()
    if doc is None:
        return
    try:
        _remove_chunks(doc)
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("document %s: its old chunks could not be removed: %s", doc.pk, exc)
        reason += " Its old chunks could not be removed either; indexing it again removes them."
    mark_failed(doc, reason)


def delete_document(document_id: int) -> None:
    """Remove the chunks of a gone or deleted Document from the index (again: a no-op)."""
    doc = Document.objects.filter(pk=document_id).first()
    if doc is None:
        _remove_points(str(document_id))  # deleted with its row: the slots are unknown
        return
    if doc.status != Document.Status.GONE:
        return  # it came back and was re-indexed meanwhile
    _remove_chunks(doc)
    Document.objects.filter(pk=doc.pk, status=Document.Status.GONE).update(chunk_count=0)


def _remove_chunks(doc: Document) -> None:
    """Delete every chunk slot the document may occupy, by id; then it occupies none."""
    _remove_points(str(doc.pk), slots=doc.chunk_slots)
    Document.objects.filter(pk=doc.pk, chunk_slots=doc.chunk_slots).update(chunk_slots=0)


def _remove_points(document_id: str, slots: int | None = None) -> None:
    """By id when the slots are known; by a filter (a scan in local mode) when the Document
    row is gone with its count, which only an editor's deletion does."""
    from rag.ingest import collection_for
    from rag.store.collections import collection_exists
    from rag.store.points import delete_document as delete_points

    client = vector_client()
    collection = collection_for(rag_config())
    if collection_exists(client, collection):
        delete_points(client, collection, document_id, slots=slots)
