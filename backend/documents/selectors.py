"""Reads about indexed documents."""

from __future__ import annotations

from backend.documents.models import Document
from backend.ops.stores import rag_config, vector_client


def document_chunks(doc: Document) -> list[dict]:
    """The document's chunks as the retriever sees them, in order (empty if not indexed)."""
    from rag.ingest import collection_for
    from rag.store.points import document_chunks as stored_chunks

    client = vector_client()
    collection = collection_for(rag_config())
    if not client.collection_exists(collection):
        return []
    return stored_chunks(client, collection, str(doc.pk), slots=doc.chunk_slots)
