"""The vector store: Qdrant, as a server or in local mode."""

from rag.store.client import open_vector_client, ping
from rag.store.collections import collection_name, ensure_collection
from rag.store.points import (
    count_document_chunks,
    delete_document,
    point_id,
    upsert_document_chunks,
)

__all__ = [
    "collection_name",
    "count_document_chunks",
    "delete_document",
    "ensure_collection",
    "open_vector_client",
    "ping",
    "point_id",
    "upsert_document_chunks",
]
