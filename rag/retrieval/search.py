"""Sparse retrieval now; a dense query vector can be passed for hybrid search later."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rag.config import SparseConfig
from rag.embeddings.sparse import SparseEncoder
from rag.models import RetrievedChunk
from rag.store.collections import DENSE, SPARSE

logger = logging.getLogger(__name__)


def _source_filter(source_ids: Sequence[str] | None):
    from qdrant_client import models

    if not source_ids:
        return None
    return models.Filter(
        must=[
            models.FieldCondition(
                key="source_id", match=models.MatchAny(any=[str(s) for s in source_ids])
            )
        ]
    )


def _to_chunk(point) -> RetrievedChunk:
    payload = dict(point.payload or {})
    known = {
        "document_id", "source_id", "chunk_index", "url", "title", "heading_path", "text",
        "language", "page", "page_end",
    }  # fmt: skip
    return RetrievedChunk(
        score=float(point.score),
        document_id=str(payload.get("document_id", "")),
        source_id=str(payload.get("source_id", "")),
        chunk_index=int(payload.get("chunk_index", 0)),
        url=payload.get("url", ""),
        title=payload.get("title", ""),
        heading_path=tuple(payload.get("heading_path") or ()),
        text=payload.get("text", ""),
        language=payload.get("language", ""),
        page=payload.get("page"),
        page_end=payload.get("page_end"),
        extra={key: value for key, value in payload.items() if key not in known},
    )


def search(
    client,
    collection: str,
    query: str,
    k: int = 5,
    source_ids: Sequence[str] | None = None,
    *,
    sparse_config: SparseConfig | None = None,
    encoder: SparseEncoder | None = None,
    dense_vector: Sequence[float] | None = None,
) -> list[RetrievedChunk]:
    """The ``k`` best chunks for ``query``, best first, optionally only from ``source_ids``.

    ``dense_vector`` is accepted so callers can already pass it; fusing it with the sparse
    ranking (RRF via Qdrant prefetch) is the next step and until then it is ignored with a
    log line, keeping results identical to sparse-only.
    """
    from qdrant_client import models

    # the query must be encoded exactly like the chunks were: same config as at ingest
    encoder = encoder or SparseEncoder(sparse_config)
    sparse = encoder.encode_query(query)
    if not sparse.indices:
        return []  # only stopwords or punctuation: nothing to match on
    if dense_vector is not None:
        logger.info("dense query vector ignored: hybrid fusion is not implemented yet (%s)", DENSE)
    response = client.query_points(
        collection,
        query=models.SparseVector(indices=list(sparse.indices), values=list(sparse.values)),
        using=SPARSE,
        limit=k,
        query_filter=_source_filter(source_ids),
        with_payload=True,
    )
    return [_to_chunk(point) for point in response.points]
