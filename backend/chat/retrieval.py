"""Finding the passages for a question: the index the workers build, searched like they built
it (same collection, sparse encoding and, when configured, dense model)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.config import AnswerConfig
from rag.answer.relevance import is_relevant
from rag.models import RetrievedChunk

logger = logging.getLogger(__name__)

# Searches per question when hits turn out to be deleted documents (normally one: none are).
DEAD_DOCUMENT_ROUNDS = 3


def _dense_query_vector(query: str) -> list[float] | None:
    """The query embedded for hybrid search, or None (sparse only) when no dense model is
    configured or the embedding API fails: the chat keeps answering from the sparse index."""
    from backend.ops.stores import dense_embedder

    try:
        embedder = dense_embedder()
        return None if embedder is None else list(embedder.embed_query(query))
    except Exception:
        logger.warning("chat: embedding the query failed; searching sparse only", exc_info=True)
        return None


def retrieve(query: str, source_ids: Sequence[str], top_k: int) -> list[RetrievedChunk]:
    """The best chunks for ``query`` from the index (empty when nothing is indexed yet);
    hybrid when a dense model is configured, with the same settings as at indexing."""
    from backend.documents.selectors import dead_document_ids
    from backend.ops.stores import rag_config, vector_client
    from rag.ingest import collection_for
    from rag.retrieval import search

    config = rag_config()
    client = vector_client()
    collection = collection_for(config)
    if not client.collection_exists(collection):
        logger.warning("chat: collection %s does not exist yet; nothing is indexed", collection)
        return []
    hybrid: dict = {}
    dense_vector = _dense_query_vector(query)
    if dense_vector is not None:
        hybrid = {"dense_vector": dense_vector, "retrieval_config": config.retrieval}
    excluded: set[str] = set()
    for _ in range(DEAD_DOCUMENT_ROUNDS):
        hits = search(
            client,
            collection,
            query,
            k=top_k,
            source_ids=source_ids or None,
            sparse_config=config.sparse,
            exclude_document_ids=sorted(excluded),
            **hybrid,
        )
        dead = dead_document_ids(hit.document_id for hit in hits)
        if not dead:
            return hits
        # Deleted content whose chunks are still being removed: never cite it.
        excluded |= dead
    return [hit for hit in hits if hit.document_id not in excluded]


def chunk_scores(chunk: RetrievedChunk) -> dict:
    """The score, plus the sparse and dense ones a hybrid search reports."""
    scores = {"score": round(chunk.score, 4)}
    for key in ("sparse_score", "dense_score"):
        if key in chunk.extra:
            value = chunk.extra[key]
            scores[key] = None if value is None else round(value, 4)
    return scores


@dataclass(frozen=True)
class Passages:
    """What the chat found for a question and what it may answer from.

    ``ranked``: the retrieved chunks, best first. ``relevant``: those the answer may use, in
    the same order; empty means the site does not answer the question ("I don't know").
    ``judgements``: one dict per ranked chunk for the retrieval debugger and the evaluation
    (its scores, ``relevant`` and a readable ``why``)."""

    ranked: list[RetrievedChunk]
    relevant: list[RetrievedChunk]
    judgements: list[dict]

    @property
    def abstains(self) -> bool:
        return not self.relevant


def judge_passages(
    question: str, chunks: Sequence[RetrievedChunk], config: AnswerConfig
) -> Passages:
    """The relevance decision, in one place: the chat, the retrieval debugger and the
    evaluation (``manage.py evaluate``) all call this."""
    judgements, relevant = [], []
    for chunk in chunks:
        ok = is_relevant(chunk, config.min_score, config.min_dense_score)
        judgements.append({**chunk_scores(chunk), "relevant": ok, "why": ""})
        if ok:
            relevant.append(chunk)
    return Passages(ranked=list(chunks), relevant=relevant, judgements=judgements)


def find_passages(
    question: str, source_ids: Sequence[str], config: AnswerConfig, *, query: str = ""
) -> Passages:
    """Retrieve for ``query`` (the rewritten question; default the question itself) and judge
    the hits against ``question``."""
    chunks = retrieve(query or question, source_ids, config.top_k)
    return judge_passages(question, chunks, config)
