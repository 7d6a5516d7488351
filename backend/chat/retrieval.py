"""Finding the passages for a question: the index the workers build, searched like they built
it (same collection, sparse encoding and, when configured, dense model)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from rag.answer.config import AnswerConfig
from rag.answer.relevance import judge_chunks
from rag.models import RetrievedChunk
from rag.parsing.language import detect_language
from rag.retrieval.ties import entries_win_ties

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
    from backend.knowledge.indexing import ENTRY_GROUP
    from backend.knowledge.selectors import unusable_entry_ids
    from backend.ops.stores import vector_client
    from backend.uploads.selectors import unusable_upload_ids
    from backend.uploads.services import UPLOAD_GROUP
    from backend.wiring import rag_config
    from rag.ingest import collection_for
    from rag.retrieval import search
    from rag.retrieval.weights import dense_weight

    config = rag_config()
    client = vector_client()
    collection = collection_for(config)
    if not client.collection_exists(collection):
        logger.warning("chat: collection %s does not exist yet; nothing is indexed", collection)
        return []
    hybrid: dict = {}
    # the dense side's share for this question's language; 0 (a model that hurts there):
    # lexical search alone, and the query is not even embedded
    weight = dense_weight(config.retrieval, config.dense.model, detect_language(query, short=True))
    dense_vector = _dense_query_vector(query) if config.dense.model and weight > 0 else None
    if dense_vector is not None:
        hybrid = {
            "dense_vector": dense_vector,
            "retrieval_config": replace(config.retrieval, dense_weight=weight),
        }
    excluded: set[str] = set()
    for _round in range(DEAD_DOCUMENT_ROUNDS):
        hits = search(
            client,
            collection,
            query,
            k=top_k,
            # editors' entries and uploads are in every search; unusable_*_ids say which count
            source_ids=[*source_ids, ENTRY_GROUP, UPLOAD_GROUP] if source_ids else None,
            sparse_config=config.sparse,
            exclude_document_ids=sorted(excluded),
            **hybrid,
        )
        found = [hit.document_id for hit in hits]
        # Deleted content whose chunks are still being removed (documents, uploads), entries
        # outside their validity or for other sources: never cite them.
        dead = (
            dead_document_ids(found)
            | unusable_entry_ids(found, source_ids)
            | unusable_upload_ids(found)
        )
        if not dead:
            return hits
        excluded |= dead
    return [hit for hit in hits if hit.document_id not in excluded]


def chunk_scores(chunk: RetrievedChunk) -> dict:
    """The score, plus the sparse and dense ones a hybrid search reports."""
    scores = {"score": round(chunk.score, 4)}
    for key in ("sparse_score", "dense_score", "dense_background"):
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
    evaluation (``manage.py evaluate``) all call this. The decision itself is
    rag/answer/relevance.py; each judgement's ``why`` is in the editor's language."""
    decisions = dict(zip(map(id, chunks), judge_chunks(question, chunks, config), strict=True))
    # an editor's entry that matches the question wins near-ties (rag/retrieval/ties.py)
    ranked = entries_win_ties(chunks, matches=lambda chunk: decisions[id(chunk)]["relevant"])
    judgements, relevant = [], []
    for chunk in ranked:
        decided = decisions[id(chunk)]
        judgements.append({**chunk_scores(chunk), **decided, "why": explain(decided, config)})
        if decided["relevant"]:
            relevant.append(chunk)
    return Passages(ranked=ranked, relevant=relevant, judgements=judgements)


def explain(decided: dict, config: AnswerConfig) -> str:
    """Why a passage counted (or not), for the retrieval debugger: the words found and
    missing, how far its meaning stands out, the confidence against the threshold."""
    matched, missing = decided["matched"], decided["missing"]
    parts = []
    if matched or missing:
        parts.append(
            _("%(found)s of %(total)s question words found")
            % {"found": len(matched), "total": len(matched) + len(missing)}
            + (f" ({', '.join(matched)})" if matched else "")
        )
        if missing:
            parts.append(_("missing: %(words)s") % {"words": ", ".join(missing)})
    else:
        parts.append(_("the question has no words to look for"))
    if decided.get("stand_out") is not None:
        parts.append(
            _("meaning %(value)+.2f above what any passage reaches for this question")
            % {"value": decided["stand_out"]}
        )
    verdict = _("relevant") if decided["relevant"] else _("not relevant")
    confidence = _("confidence %(value).2f (needs %(needed).2f)") % {
        "value": decided["confidence"],
        "needed": config.min_confidence,
    }
    return f"{verdict}: {confidence}; " + "; ".join(parts)


def find_passages(
    question: str,
    source_ids: Sequence[str],
    config: AnswerConfig,
    *,
    query: str = "",
    expansions: Sequence[str] = (),
) -> Passages:
    """Retrieve for ``query`` (the rewritten question; default the question itself) and any
    ``expansions`` (rag/answer/expansion.py: rephrasings or a hypothetical answer from the
    language model), merge the rankings, and judge the hits against ``question``."""
    from rag.retrieval.fusion import merge_rankings

    chunks = retrieve(query or question, source_ids, config.top_k)
    if expansions:
        rankings = [chunks] + [retrieve(extra, source_ids, config.top_k) for extra in expansions]
        chunks = merge_rankings(
            rankings, key=lambda chunk: (chunk.document_id, chunk.chunk_index), k=config.top_k
        )
    return judge_passages(question, chunks, config)


def retrieved_log(chunks: Sequence[RetrievedChunk], judgements: Sequence[dict] = ()) -> list[dict]:
    """What was retrieved, with the relevance decision's verdict, for "why (not)?"."""
    verdicts = [
        {key: judgement.get(key) for key in ("relevant", "confidence")} for judgement in judgements
    ]
    return [
        {
            "n": n, "url": c.url, "title": c.title, "page": c.page, **chunk_scores(c),
            **(verdicts[n - 1] if n <= len(verdicts) else {}),
        }
        for n, c in enumerate(chunks, start=1)
    ]  # fmt: skip
