"""Opening Qdrant: a server by URL, or local mode in a folder."""

from __future__ import annotations

import logging

from rag.config import VectorStoreConfig
from rag.errors import VectorStoreUnavailable

logger = logging.getLogger(__name__)


def open_vector_client(config: VectorStoreConfig):
    """A ``QdrantClient``. Local mode lets only one process open the folder."""
    from qdrant_client import QdrantClient

    if config.local:
        # local mode plus an inverted index for sparse search, as a server has one
        from rag.store.local_client import LocalQdrantClient

        try:
            if config.path == ":memory:":
                return LocalQdrantClient(":memory:")
            return LocalQdrantClient(path=config.path)
        except RuntimeError as exc:  # qdrant's lock error: another process has the folder
            raise VectorStoreUnavailable(
                f"the local Qdrant store in {config.path} is open in another process: {exc}"
            ) from exc
    return QdrantClient(
        url=config.url,
        api_key=config.api_key or None,
        timeout=max(1, int(config.timeout_s)),
        prefer_grpc=False,
    )


def ping(client) -> None:
    """Raise VectorStoreUnavailable unless Qdrant answers."""
    try:
        client.get_collections()
    except Exception as exc:  # httpx, grpc and qdrant errors alike mean "not reachable"
        raise VectorStoreUnavailable(f"Qdrant not reachable: {exc}") from exc
