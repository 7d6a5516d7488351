"""Sparse retrieval, or hybrid (dense + sparse, fused) when a dense query vector is given and
the collection holds dense vectors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from rag.config import RetrievalConfig, SparseConfig
from rag.embeddings.sparse import SparseEncoder
from rag.models import RetrievedChunk
from rag.retrieval.fusion import convex_fusion, rrf_fusion
from rag.store.collections import DENSE, SPARSE

logger = logging.getLogger(__name__)


def _query_filter(source_ids: Sequence[str] | None, exclude_document_ids: Sequence[str] = ()):
    from qdrant_client import models

    if not source_ids and not exclude_document_ids:
        return None
    must, must_not = [], []
    if source_ids:
        must.append(
            models.FieldCondition(
                key="source_id", match=models.MatchAny(any=[str(s) for s in source_ids])
            )
        )
    if exclude_document_ids:
        must_not.append(
            models.FieldCondition(
                key="document_id",
                match=models.MatchAny(any=[str(d) for d in exclude_document_ids]),
            )
        )
    return models.Filter(must=must or None, must_not=must_not or None)


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


def dense_size(client, collection: str) -> int:
    """The collection's dense vector size, 0 when it holds sparse vectors only."""
    vectors = client.get_collection(collection).config.params.vectors
    if isinstance(vectors, dict) and DENSE in vectors:
        return int(vectors[DENSE].size)
    return 0


def _fuse(sparse_points, dense_points, config: RetrievalConfig):
    sparse = [(point.id, float(point.score)) for point in sparse_points]
    dense = [(point.id, float(point.score)) for point in dense_points]
    if config.fusion == "rrf":
        return rrf_fusion(sparse, dense, config.dense_weight, config.rrf_k)
    return convex_fusion(sparse, dense, config.dense_weight)


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
    retrieval_config: RetrievalConfig | None = None,
    min_score: float | None = None,
    exclude_document_ids: Sequence[str] = (),
) -> list[RetrievedChunk]:
    """The ``k`` best chunks for ``query``, best first, optionally only from ``source_ids``.

    With ``dense_vector`` (the query embedded by the collection's dense model) and a collection
    holding dense vectors, the sparse and dense candidates are fused as ``retrieval_config``
    says (one batched request to Qdrant) and each hit's ``extra`` carries ``sparse_score`` and
    ``dense_score`` (None when that side did not return it); otherwise it is sparse only.

    ``score`` is the BM25 score (sparse only) or the fused score in [0, 1] (hybrid, relative to
    the query's best candidates). ``min_score`` drops hits scoring below it; it compares within
    one mode, so set it for the mode the collection is searched in. ``exclude_document_ids``
    leaves those documents' chunks out (deleted ones whose chunks are not removed yet).
    """
    from qdrant_client import models

    config = retrieval_config or RetrievalConfig()
    # the query must be encoded exactly like the chunks were: same config as at ingest
    encoder = encoder or SparseEncoder(sparse_config)
    sparse = encoder.encode_query(query)
    query_filter = _query_filter(source_ids, exclude_document_ids)
    sparse_query = models.SparseVector(indices=list(sparse.indices), values=list(sparse.values))
    size = dense_size(client, collection) if dense_vector is not None else 0
    if size and len(dense_vector) != size:
        raise ValueError(
            f"query vector has {len(dense_vector)} dimensions, {collection} holds {size}: "
            "the query must be embedded by the model the collection was built with"
        )
    if not size:
        if dense_vector is not None:
            logger.debug("%s has no dense vectors: sparse search only", collection)
        if not sparse.indices:
            return []  # only stopwords or punctuation: nothing to match on
        response = client.query_points(
            collection,
            query=sparse_query,
            using=SPARSE,
            limit=k,
            query_filter=query_filter,
            with_payload=True,
        )
        hits = [_to_chunk(point) for point in response.points]
    else:
        hits = _hybrid(client, collection, sparse_query, dense_vector, k, query_filter, config)
    if min_score is not None:
        hits = [hit for hit in hits if hit.score >= min_score]
    return hits


BACKGROUND_RANK = 10


def dense_background(scores: Sequence[float]) -> float | None:
    """The question's ``BACKGROUND_RANK``-th best dense cosine (the last one when the index
    holds fewer passages): about what any passage on the site reaches for this question."""
    if not scores:
        return None
    ordered = sorted(scores, reverse=True)
    return ordered[min(BACKGROUND_RANK, len(ordered)) - 1]


def _hybrid(
    client,
    collection: str,
    sparse_query,
    dense_vector: Sequence[float],
    k: int,
    query_filter,
    config: RetrievalConfig,
) -> list[RetrievedChunk]:
    from qdrant_client import models

    limit = max(k, config.candidates)
    requests = [
        models.QueryRequest(
            query=list(dense_vector), using=DENSE, limit=limit, filter=query_filter,
            with_payload=True,
        ),
    ]  # fmt: skip
    if sparse_query.indices:  # a stopword-only question still has a meaning to embed
        requests.append(
            models.QueryRequest(
                query=sparse_query, using=SPARSE, limit=limit, filter=query_filter,
                with_payload=True,
            )
        )  # fmt: skip
    responses = client.query_batch_points(collection, requests=requests)
    dense_points = responses[0].points
    sparse_points = responses[1].points if len(responses) > 1 else []
    points = {point.id: point for point in [*dense_points, *sparse_points]}
    sparse_scores = {point.id: float(point.score) for point in sparse_points}
    dense_scores = {point.id: float(point.score) for point in dense_points}
    # what the question reaches anyway: the relevance decision asks how far a passage's
    # meaning stands above it (rag/answer/relevance.py)
    background = dense_background([float(point.score) for point in dense_points])
    hits = []
    for point_id, score in _fuse(sparse_points, dense_points, config)[:k]:
        chunk = _to_chunk(points[point_id])
        extra = {
            **chunk.extra,
            "sparse_score": sparse_scores.get(point_id),
            "dense_score": dense_scores.get(point_id),
            "dense_background": background,
        }
        hits.append(replace(chunk, score=float(score), extra=extra))
    return hits
