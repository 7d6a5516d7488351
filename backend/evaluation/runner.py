"""Asking the live index the test questions, exactly as the chat asks it.

Every question goes through :func:`backend.chat.retrieval.find_passages` with the chat's own
config (``answer_config()`` with the editors' texts applied): the same retrieval and the same
relevance decision, never a copy of them. The chat retrieves ``CHAT_TOP_K`` passages; recall@10
needs ten, so when ``CHAT_TOP_K`` is smaller a second, deeper search (the same function with
a larger ``top_k``) gives the ranks, while abstention always comes from the chat's own search.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace

from rag.answer.config import AnswerConfig
from rag.evaluation import KS, QuestionResult, TestQuestion, judge, normalise_url

logger = logging.getLogger(__name__)

DEPTH = max(KS)
TOP_HITS_KEPT = 3


@dataclass(frozen=True)
class Item:
    """One question to ask: where to search (``source_id`` None = everywhere) and which
    stored test question it is (None for questions from a file)."""

    question: TestQuestion
    source_id: int | None = None
    test_question_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    item: Item
    result: QuestionResult
    top_hits: list[dict]
    index_status: str = ""
    index_error: str = ""
    refusal: str = ""


def chat_config() -> AnswerConfig:
    """The config the chat answers with, built the way the chat builds it."""
    from backend.chat.services import editor_texts_applied
    from backend.wiring import answer_config

    return editor_texts_applied(answer_config())


def url_variants(url: str) -> list[str]:
    """The spellings of one address an index may hold (with and without the trailing slash,
    the host's case, a fragment): the payload match is exact, :func:`normalise_url` is not."""
    normal = normalise_url(url)
    variants = {url.strip(), normal}
    head, _, query = normal.partition("?")
    if head.count("/") >= 3:  # scheme://host/path
        toggled = head[:-1] if head.endswith("/") else head + "/"
        variants.add(toggled + (f"?{query}" if query else ""))
    return sorted(variant for variant in variants if variant)


def is_indexed(url: str) -> bool:
    """Whether any passage of ``url`` is in the collection the chat searches."""
    from qdrant_client import models

    from backend.ops.stores import vector_client
    from backend.wiring import rag_config
    from rag.ingest import collection_for

    client = vector_client()
    collection = collection_for(rag_config())
    if not client.collection_exists(collection):
        return False
    only_url = models.Filter(
        must=[models.FieldCondition(key="url", match=models.MatchAny(any=url_variants(url)))]
    )
    return client.count(collection, count_filter=only_url, exact=True).count > 0


def index_status(urls: Iterable[str]) -> tuple[str, str]:
    """What Lotse knows of an expected page that is not in the index: ("never_crawled", "")
    or its document's status with the reason indexing failed."""
    from backend.documents.models import Document, url_key

    keys = [url_key(variant) for url in urls for variant in url_variants(url)]
    document = Document.objects.filter(url_hash__in=keys).order_by("-updated_at").first()
    if document is None:
        return "never_crawled", ""
    return document.status, document.error[:300]


def _top_hits(passages) -> list[dict]:
    return [
        {
            "url": chunk.url,
            "title": chunk.title,
            "page": chunk.page,
            "score": judgement.get("score"),
            "relevant": bool(judgement.get("relevant")),
            "why": judgement.get("why", ""),
        }
        for chunk, judgement in list(zip(passages.ranked, passages.judgements, strict=False))[
            :TOP_HITS_KEPT
        ]
    ]


def ask(item: Item, config: AnswerConfig) -> Outcome:
    """One question through the chat's retrieval and relevance decision, judged."""
    from backend.chat.retrieval import find_passages
    from backend.chat.services import ChatError, clean_message

    question = item.question
    try:
        text = clean_message(question.question)
    except ChatError as exc:
        # the chat would refuse it: the visitor gets an error, never an answer
        return Outcome(item, judge(question, [], abstained=True), [], refusal=exc.code)
    source_ids = [str(item.source_id)] if item.source_id else []
    chat = find_passages(text, source_ids, config)
    deep = chat
    if config.top_k < DEPTH:
        deep = find_passages(text, source_ids, replace(config, top_k=DEPTH))
    result = judge(question, deep.ranked, chat.abstains, is_indexed=is_indexed)
    status, error = ("", "") if result.expected_indexed else index_status(question.expected_urls)
    return Outcome(item, result, _top_hits(deep), index_status=status, index_error=error)


def ask_all(
    items: list[Item],
    config: AnswerConfig | None = None,
    progress: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Every item in order; ``progress(done, outcome)`` after each one."""
    config = config or chat_config()
    outcomes = []
    for done, item in enumerate(items, start=1):
        outcome = ask(item, config)
        outcomes.append(outcome)
        if progress is not None:
            progress(done, outcome)
    return outcomes


def describe_search(config: AnswerConfig | None = None) -> dict:
    """What the questions were asked of: retrieval mode and model, the index and its size,
    and the chat's numeric settings (top_k, relevance thresholds)."""
    from backend.documents.models import Document
    from backend.ops.stores import vector_client
    from backend.wiring import rag_config
    from rag.ingest import collection_for

    config = config or chat_config()
    rag = rag_config()
    client = vector_client()
    collection = collection_for(rag)
    passages = (
        client.count(collection, exact=True).count if client.collection_exists(collection) else 0
    )
    settings_used = {
        f.name: getattr(config, f.name)
        for f in fields(config)
        if isinstance(getattr(config, f.name), int | float | bool)
    }
    described = {
        "mode": "hybrid" if rag.dense.model else "sparse",
        "dense_model": rag.dense.model,
        "collection": collection,
        "indexed_passages": passages,
        "indexed_documents": Document.objects.filter(status=Document.Status.INDEXED).count(),
        "chat": settings_used,
        "depth": DEPTH,
        "llm": config.llm.model if config.llm.enabled else "",
    }
    if rag.dense.model:
        described["fusion"] = {
            "fusion": rag.retrieval.fusion,
            "dense_weight": rag.retrieval.dense_weight,
        }
    return described
