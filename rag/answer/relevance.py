"""Is a retrieved passage relevant enough to answer from?

Judged on absolute scores, never on a fused one: a fused score is relative to the query's
own best candidates, so the best hit of a question the site cannot answer still scores near
the top. Sparse-only hits carry their BM25 score; hybrid hits carry the BM25 and the dense
(cosine) score in ``extra``, and either one being high enough makes the passage relevant.
"""

from __future__ import annotations

from rag.models import RetrievedChunk


def is_relevant(chunk: RetrievedChunk, min_sparse: float, min_dense: float) -> bool:
    if "sparse_score" in chunk.extra or "dense_score" in chunk.extra:
        sparse = chunk.extra.get("sparse_score")
        dense = chunk.extra.get("dense_score")
        return (sparse is not None and sparse >= min_sparse) or (
            dense is not None and dense >= min_dense
        )
    return chunk.score >= min_sparse
