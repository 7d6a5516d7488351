"""Dev sets for retrieval and abstention, indexed in process by Lotse's own ingest.

* ``faq_site``: the fictional German municipality under tests/bench/data/faq_site/ (our own
  data): FAQ pages in varied markup, 2-3 visitors' paraphrases per entry worded unlike the
  FAQ heading (synonyms, word order, colloquial, some English) and questions the site cannot
  answer.
* ``xquad_split``: third-party data from ../shared: the articles of one half of XQuAD (German
  and English) are indexed; their questions are answerable, the other half's questions are
  "the site cannot answer this".

Both give :class:`rag.evaluation.TestQuestion` lists; :func:`evaluate` runs them through
search and the relevance decision and summarises them with rag/evaluation.py.
"""

from __future__ import annotations

import html
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rag.answer.config import AnswerConfig
from rag.answer.language import detect_question_language
from rag.answer.relevance import judge_chunks
from rag.config import RagConfig
from rag.evaluation import QuestionResult, Summary, TestQuestion, judge, summarise
from rag.ingest import collection_for, ingest
from rag.retrieval import search
from rag.retrieval.weights import dense_weight

FAQ_SITE = Path(__file__).resolve().parent / "data" / "faq_site"
FAQ_BASE = "https://www.birkenfelde.example/"


def faq_site(folder: Path = FAQ_SITE) -> tuple[list[tuple[str, bytes]], list[TestQuestion]]:
    pages = [(FAQ_BASE + path.name, path.read_bytes()) for path in sorted(folder.glob("*.html"))]
    questions = []
    for number, line in enumerate((folder / "questions.jsonl").read_text("utf-8").splitlines()):
        item = json.loads(line)
        questions.append(
            TestQuestion(
                question=item["question"],
                expected_urls=(item["expected_url"],) if item.get("expected_url") else (),
                expected_passage=item.get("expected_passage", ""),
                answerable=item["answerable"],
                language=item.get("language", ""),
                id=f"faq-{number}",
            )
        )
    return pages, questions


def _article_html(title: str, paragraphs: list[str], lang: str) -> bytes:
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"{body}</main></body></html>"
    ).encode()


def xquad_split(
    xquad: Path, indexed: int = 24, per_language: int = 0
) -> tuple[list[tuple[str, bytes]], list[TestQuestion]]:
    """Articles ``0..indexed-1`` of both languages become pages; their questions answerable,
    the questions of the other articles not (``per_language`` > 0 caps each kind)."""
    pages, questions = [], []
    for lang in ("de", "en"):
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        answerable, unanswerable = [], []
        for number, article in enumerate(data):
            url = f"https://xquad.example/{lang}/{number}.html"
            if number < indexed:
                paragraphs = [paragraph["context"] for paragraph in article["paragraphs"]]
                title = (article.get("title") or f"Artikel {number}").replace("_", " ")
                pages.append((url, _article_html(title, paragraphs, lang)))
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    if number < indexed:
                        answerable.append(
                            TestQuestion(
                                question=qa["question"],
                                expected_urls=(url,),
                                expected_passage=qa["answers"][0]["text"],
                                language=lang,
                                id=qa["id"] + lang,
                            )
                        )
                    else:
                        unanswerable.append(
                            TestQuestion(qa["question"], answerable=False, language=lang)
                        )
        if per_language:
            answerable, unanswerable = answerable[:per_language], unanswerable[:per_language]
        questions += answerable + unanswerable
    return pages, questions


def build_index(pages: Sequence[tuple[str, bytes]], config: RagConfig, embedder, client) -> dict:
    """Every page through :func:`rag.ingest.ingest`, as the rag worker runs it."""
    started = time.perf_counter()
    chunks = 0
    for url, body in pages:
        document_id = str(uuid.uuid5(uuid.NAMESPACE_URL, url))
        result = ingest(
            body, "text/html", url, document_id, "1", config, client, dense_embedder=embedder
        )
        chunks += result.chunk_count
    return {
        "collection": collection_for(config),
        "pages": len(pages),
        "chunks": chunks,
        "seconds": time.perf_counter() - started,
    }


@dataclass
class Run:
    summary: Summary
    results: list[QuestionResult]
    judgements: list[list[dict]]
    seconds_per_query: float


def evaluate(
    questions: Sequence[TestQuestion],
    client,
    config: RagConfig,
    embedder,
    answer: AnswerConfig,
    *,
    k: int = 10,
    expand: Callable[[str], list[str]] | None = None,
) -> Run:
    """Search each question as the chat does (hybrid when ``embedder`` is given), judge the
    hits with the relevance decision, and summarise. The chat answers from the first
    ``answer.top_k`` hits; recall is read over ``k``."""
    collection = collection_for(config)
    results, judgements = [], []
    started = time.perf_counter()
    for question in questions:
        # as backend/chat/retrieval.py: the dense share by the question's language
        weight = dense_weight(
            config.retrieval, config.dense.model, detect_question_language(question.question, "")
        )
        vector = None
        if embedder is not None and weight > 0:
            vector = embedder.embed_query(question.question)
        hits = search(
            client,
            collection,
            question.question,
            k=k,
            sparse_config=config.sparse,
            dense_vector=vector,
            retrieval_config=replace(config.retrieval, dense_weight=weight),
        )
        decided = judge_chunks(question.question, hits[: answer.top_k], answer)
        abstained = not any(item["relevant"] for item in decided)
        results.append(judge(question, hits, abstained))
        judgements.append(decided)
    seconds = (time.perf_counter() - started) / max(1, len(questions))
    return Run(summarise(results), results, judgements, seconds)
