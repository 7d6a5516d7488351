"""The vector store: Qdrant, as a server or in local mode."""

from rag.store.client import open_vector_client, ping

__all__ = ["open_vector_client", "ping"]
