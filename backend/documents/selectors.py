"""Reads about indexed documents."""

from __future__ import annotations

from collections.abc import Iterable

from backend.documents.models import Document
from backend.ops.stores import vector_client
from backend.wiring import rag_config


def document_chunks(doc: Document) -> list[dict]:
    """The document's chunks as the retriever sees them, in order (empty if not indexed)."""
    from rag.ingest import collection_for
    from rag.store.points import document_chunks as stored_chunks

    client = vector_client()
    collection = collection_for(rag_config())
    if not client.collection_exists(collection):
        return []
    return stored_chunks(client, collection, str(doc.pk), slots=doc.chunk_slots)


def dead_document_ids(document_ids: Iterable[str]) -> set[str]:
    """Those of ``document_ids`` (as the index stores them) without a live Document: deleted,
    of a deleted source, or gone. Their chunks may still be in the index (clean-up is a task,
    and retried when Qdrant is away), so the chat leaves them out.

    Often called from a worker thread of the chat (not a request), where nobody would ever
    close a connection: outside a transaction it closes the one it used, so the chat's thread
    pool never holds database connections between questions."""
    from django.db import connection

    # Only Document ids are judged (the index may hold other kinds of entries one day).
    wanted = {str(d) for d in document_ids if str(d).isdigit()}
    if not wanted:
        return set()
    alive = Document.objects.filter(pk__in=[int(d) for d in wanted]).exclude(
        status=Document.Status.GONE
    )
    live = {str(pk) for pk in alive.values_list("pk", flat=True)}
    if not connection.in_atomic_block:
        connection.close()
    return wanted - live
