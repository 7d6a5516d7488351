"""One Qdrant collection per embedding configuration: changing the dense model or the sparse
tokenisation means a new collection (filled by a re-index), never mixed vectors in one."""

from __future__ import annotations

import logging
import re
import warnings

from rag.config import DenseConfig, SparseConfig
from rag.store.errors import vector_store_errors

logger = logging.getLogger(__name__)

DENSE = "dense"
SPARSE = "sparse"
# payload fields filtered on: by source (chat scope), by document (replace/delete), by language
KEYWORD_FIELDS = ("source_id", "document_id", "language")

_UNSAFE = re.compile(r"[^a-z0-9]+")


def collection_name(prefix: str, dense: DenseConfig, sparse: SparseConfig) -> str:
    """E.g. ``lotse-text-embedding-3-small-1536-s1``, or ``lotse-sparse-s1`` without dense."""
    model = _UNSAFE.sub("-", dense.model.lower()).strip("-")
    parts = [prefix, f"{model}-{dense.dim}" if model else "sparse", f"s{sparse.version}"]
    return "-".join(part for part in parts if part)


@vector_store_errors()
def collection_exists(client, name: str) -> bool:
    return client.collection_exists(name)


@vector_store_errors()
def ensure_collection(client, name: str, dense_dim: int = 0) -> bool:
    """Create the collection with its named vectors and payload indexes unless it exists.
    Returns True when it was created. Safe to call from several workers at once."""
    from qdrant_client import models

    if client.collection_exists(name):
        return False
    vectors = (
        {DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)}
        if dense_dim
        else {}
    )
    try:
        client.create_collection(
            name,
            vectors_config=vectors,
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
    except Exception:
        # another worker created it between our check and create
        if client.collection_exists(name):
            return False
        raise
    with warnings.catch_warnings():
        # local mode warns that payload indexes are a no-op there; on a server they matter
        warnings.simplefilter("ignore", UserWarning)
        for field in KEYWORD_FIELDS:
            client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
        client.create_payload_index(name, "chunk_index", models.PayloadSchemaType.INTEGER)
    logger.info("created Qdrant collection %s (dense dim %s)", name, dense_dim or "none")
    return True
