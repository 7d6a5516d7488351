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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rag.answer.config import AnswerConfig
from rag.answer.relevance import judge_chunks
from rag.config import RagConfig
from rag.evaluation import QuestionResult, Summary, TestQuestion, judge, summarise
from rag.ingest import collection_for, ingest
from rag.parsing.language import detect_language
from rag.retrieval import search
from rag.retrieval.ties import entries_win_ties
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
    raw_score_threshold: float | None = None,
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
            config.retrieval, config.dense.model, detect_language(question.question, short=True)
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
        # as backend/chat/retrieval.py: an entry that matches wins near-ties
        verdicts = {id(hit): d for hit, d in zip(hits, decided, strict=False)}
        matching = {key for key, d in verdicts.items() if d["relevant"]}
        top = entries_win_ties(hits[: answer.top_k], lambda hit, ok=matching: id(hit) in ok)
        hits, decided = top + hits[answer.top_k :], [verdicts[id(hit)] for hit in top]
        if raw_score_threshold is not None:  # the old decision, for the baseline row
            decided = [
                {"relevant": hit.score >= raw_score_threshold} for hit in hits[: answer.top_k]
            ]
        abstained = not any(item["relevant"] for item in decided)
        results.append(judge(question, hits, abstained))
        judgements.append(decided)
    seconds = (time.perf_counter() - started) / max(1, len(questions))
    return Run(summarise(results), results, judgements, seconds)


@dataclass(frozen=True)
class Variant:
    """One row of the side-by-side tables: an embedder (None: lexical only), the sparse
    settings, and whether the FAQ structure (rag/parsing/faq.py) is on."""

    name: str
    embedder_name: str = ""  # "", "bundled", "minilm"
    faq_structure: bool = True
    drop_question_words: bool = False
    # the relevance decision before this work: BM25 score >= CHAT_MIN_SCORE 1.0
    raw_score_threshold: float | None = None
    # OpenThesaurus synonyms added to the query (experiment; Debian's openthesaurus-de-text)
    synonyms: bool = False


VARIANTS = (
    Variant(
        "sparse, before this work",
        faq_structure=False,
        drop_question_words=False,
        raw_score_threshold=1.0,
    ),  # fmt: skip
    Variant("sparse + relevance decision", faq_structure=False),
    Variant("sparse + FAQ structure"),
    Variant("sparse + question-word cleanup (not adopted)", drop_question_words=True),
    Variant("sparse + OpenThesaurus synonyms (not adopted)", synonyms=True),
    Variant("hybrid all-MiniLM-L6-v2", "minilm"),
    Variant("hybrid bundled USE-m3 (default)", "bundled"),
    Variant("hybrid bundled + synonyms (not adopted)", "bundled", synonyms=True),
)


THESAURUS = Path("/usr/share/openthesaurus-de/openthesaurus.txt")
SYNONYM_WEIGHT = 0.3


def _thesaurus() -> dict[str, set[str]]:
    """word -> its one-word synonyms, from OpenThesaurus' text format (one synset a line)."""
    import re

    index: dict[str, set[str]] = {}
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        words = [re.sub(r"\s*\([^)]*\)", "", word).strip() for word in line.split(";")]
        single = [word for word in words if word and " " not in word]
        for word in single:
            index.setdefault(word.casefold(), set()).update(w for w in single if w != word)
    return index


class _Synonyms:
    """Query-side synonym expansion: each content word's synonyms at SYNONYM_WEIGHT."""

    def __enter__(self):
        from rag.answer.relevance import content_terms
        from rag.embeddings.sparse import SparseEncoder

        index = _thesaurus()
        self._saved = SparseEncoder.encode_query
        original = self._saved

        def encode_query(encoder, text):
            base = original(encoder, text)
            weights = dict(zip(base.indices, base.values, strict=True))
            extra: dict[str, float] = {}
            for term in content_terms(text):
                for synonym in sorted(index.get(term, ()))[:8]:
                    for stem in encoder.terms(synonym):
                        if stem.startswith("w:"):
                            extra[stem] = SYNONYM_WEIGHT
            added = encoder._vector(extra)
            for i, v in zip(added.indices, added.values, strict=True):
                weights[i] = max(weights.get(i, 0.0), v)
            ordered = sorted(weights.items())
            return type(base)(tuple(i for i, _ in ordered), tuple(v for _, v in ordered))

        SparseEncoder.encode_query = encode_query

    def __exit__(self, *exc):
        from rag.embeddings.sparse import SparseEncoder

        SparseEncoder.encode_query = self._saved


class _NoFaqStructure:
    """The parser and chunker as before rag/parsing/faq.py, for the ablation row."""

    def __enter__(self):
        import rag.chunking.headings as headings
        import rag.parsing.html as html_parser

        self._saved = (html_parser.restructure_faq, headings.is_question)
        html_parser.restructure_faq = lambda main: 0
        headings.is_question = lambda text: False

    def __exit__(self, *exc):
        import rag.chunking.headings as headings
        import rag.parsing.html as html_parser

        html_parser.restructure_faq, headings.is_question = self._saved


def run_variant(variant: Variant, pages, questions, embedders: dict) -> tuple[Run, dict]:
    """Index ``pages`` fresh (in memory) as the variant says, and evaluate ``questions``."""
    from contextlib import nullcontext

    from qdrant_client import QdrantClient

    from rag.config import DenseConfig, SparseConfig, VectorStoreConfig

    embedder = embedders.get(variant.embedder_name) if variant.embedder_name else None
    dense = DenseConfig()
    if embedder is not None:
        dense = DenseConfig(model=embedder.model, dim=embedder.dim, provider="local")
    config = RagConfig(
        vector_store=VectorStoreConfig(url="", path=""),
        dense=dense,
        sparse=SparseConfig(drop_question_words=variant.drop_question_words),
    )
    client = QdrantClient(":memory:")
    with nullcontext() if variant.faq_structure else _NoFaqStructure():
        built = build_index(pages, config, embedder, client)
    answer = AnswerConfig(dense_model=dense.model)
    if variant.synonyms and not THESAURUS.is_file():
        raise FileNotFoundError(f"{THESAURUS}: apt-get install openthesaurus-de-text")
    with _Synonyms() if variant.synonyms else nullcontext():
        run = evaluate(
            questions, client, config, embedder, answer,
            raw_score_threshold=variant.raw_score_threshold,
        )  # fmt: skip
    client.close()
    return run, built


def _figure(value) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def print_tables(title: str, rows: list[tuple[str, Run, dict]]) -> None:
    print(f"\n{title}\n")
    print(
        "| configuration                            | page R@1/5/10       | passage R@1/5/10    "
        "| abst. prec | abst. rec | answered+page | ms/q  |"
    )
    print("|" + "|".join("-" * n for n in (42, 21, 21, 12, 11, 15, 7)) + "|")
    for name, run, _ in rows:
        s = run.summary
        page = "/".join(f"{s.page_recall[k]:.2f}" for k in (1, 5, 10))
        passage = "/".join(_figure(s.passage_recall[k]).strip() for k in (1, 5, 10))
        print(
            f"| {name:<40} | {page:<19} | {passage:<19} | {_figure(s.abstention_precision):>10} "
            f"| {_figure(s.abstention_recall):>9} | {_figure(s.answered_with_page):>13} "
            f"| {1000 * run.seconds_per_query:5.1f} |"
        )
    languages = sorted({r.question.language for _, run, _ in rows for r in run.results})
    for language in languages:
        parts = []
        for name, run, _ in rows:
            subset = [r for r in run.results if r.question.language == language]
            s = summarise(subset)
            if s.answerable:
                parts.append(f"{name}: passage R@5 {_figure(s.passage_recall[5])}")
        print(f"  {language}: " + "; ".join(parts))


def dev_tables(xquad: Path | None, embedders: dict, variants=VARIANTS) -> None:
    """The side-by-side tables of both dev sets, one row per variant."""
    sets = [("German FAQ site (tests/bench/data/faq_site)", *faq_site())]
    if xquad is not None and xquad.is_dir():
        sets.append(
            ("XQuAD halves: articles 0-23 indexed, 24-47 unanswerable", *xquad_split(xquad))
        )
    for title, pages, questions in sets:
        rows = []
        for variant in variants:
            if variant.embedder_name and variant.embedder_name not in embedders:
                continue
            if variant.synonyms and not THESAURUS.is_file():
                print(f"(no {THESAURUS}: the synonyms row is left out)")
                continue
            run, built = run_variant(variant, pages, questions, embedders)
            rows.append((variant.name, run, built))
        answerable = sum(q.answerable for q in questions)
        print_tables(
            f"{title}: {answerable} answerable, {len(questions) - answerable} unanswerable, "
            f"{rows[-1][2]['chunks']} chunks",
            rows,
        )
