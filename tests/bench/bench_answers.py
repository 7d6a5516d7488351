"""Extractive answers on XQuAD: how often the answer quotes the gold answer's key sentence.

    .venv/bin/python tests/bench/bench_answers.py [--xquad DIR] [--model-dir DIR]
        [--questions N] [--k K]

Prints a table; never fails. The index is the one tests/bench/bench_retrieval.py builds (its
helpers, imported: every XQuAD article of both languages as a page, crawled and indexed by
Lotse itself with the local dense model), searched hybrid like the chat does.

* key sentence: the sentence of the question's paragraph that holds the XQuAD answer span,
  cut by rag.sentences (the splitter the answers use).
* key sentence quoted: share of questions whose extractive answer (rag.answer.extractive
  over the top K passages) contains that sentence word for word.
* span quoted: share whose answer contains the answer span's text at all.
* "of those retrieved": the same share among the questions with a gold chunk in the top K
  (what the answer step could have quoted at most).
* passages quoted, characters: how much the visitor has to read (quoting more raises the
  shares above and buries the answer; the issue that asked for these answers wanted fewer,
  better quotes).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rag.answer.extractive import extractive_answer  # noqa: E402
from rag.config import RagConfig, VectorStoreConfig  # noqa: E402
from rag.embeddings.local import LocalEmbedder  # noqa: E402
from rag.embeddings.sparse import SparseEncoder  # noqa: E402
from rag.retrieval import search  # noqa: E402
from rag.sentences import split_sentences  # noqa: E402
from rag.store.points import point_id  # noqa: E402
from tests.bench.bench_retrieval import (  # noqa: E402
    CachedEmbedder,
    bundled_model_dir,
    crawl_and_index,
    gold_points,
    write_site,
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def key_sentence(context: str, answer: dict, language: str) -> str:
    """The sentence of ``context`` that holds the answer span (by character offset)."""
    start = answer["answer_start"]
    position = 0
    for sentence in split_sentences(context, language):
        found = context.find(sentence[:30], position)
        if found < 0:
            continue
        position = found
        end = found + len(sentence)
        if found <= start < end + 1:
            return sentence
    return answer["text"]


def questions(articles, client, collection: str):
    """(language, question, key sentence, answer text, gold point ids) for every question."""
    by_page: dict[str, list[dict]] = {}
    offset = None
    while True:
        points, offset = client.scroll(collection, limit=1000, offset=offset, with_payload=True)
        for point in points:
            by_page.setdefault("/" + point.payload["url"].split("/", 3)[3], []).append(
                point.payload
            )
        if offset is None:
            break
    out = []
    for lang, number, article in articles:
        chunks = by_page.get(f"/{lang}/{number}.html", [])
        document_id = str(chunks[0]["document_id"]) if chunks else "missing"
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                out.append(
                    (
                        lang,
                        qa["question"],
                        key_sentence(paragraph["context"], answer, lang),
                        answer["text"],
                        gold_points(chunks, document_id, paragraph["context"], answer),
                    )
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=REPO.parent / "shared/data/qa/xquad")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=0, help="per language; 0 = all")
    parser.add_argument("--k", type=int, default=6, help="passages answered from (CHAT_TOP_K)")
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the index here; reused when it exists"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    model_dir = args.model_dir or bundled_model_dir()
    if model_dir is None:
        print("skipped: needs the local-embeddings extra and a model (see bench_retrieval.py)")
        return

    from qdrant_client import QdrantClient

    from rag.store import local_sparse

    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="lotse-bench-answers-"))
    reuse = (work / "var" / "qdrant").exists()
    if reuse:
        articles = write_site(args.xquad, Path(tempfile.mkdtemp()) / "site")
    else:
        articles = write_site(args.xquad, work / "site")
        crawl_and_index(work / "site", work / "var", model_dir)
    local_sparse.install()
    client = QdrantClient(path=str(work / "var" / "qdrant"))
    (collection,) = [c.name for c in client.get_collections().collections]
    embedder = CachedEmbedder(LocalEmbedder(model_dir, model="all-MiniLM-L6-v2"))
    encoder = SparseEncoder(RagConfig(vector_store=VectorStoreConfig(url="", path="")).sparse)
    print(f"indexed in {time.perf_counter() - started:.0f}s")

    rows = []
    for lang in ("de", "en"):
        subset = [q for q in questions(articles, client, collection) if q[0] == lang]
        if args.questions:
            subset = subset[: args.questions]
        key = span = retrieved = key_retrieved = answered = passages = chars = 0
        answer_seconds = 0.0
        for _, question, sentence, span_text, gold in subset:
            hits = search(
                client,
                collection,
                question,
                k=args.k,
                encoder=encoder,
                dense_vector=embedder.embed_query(question),
            )
            t = time.perf_counter()
            answer = extractive_answer(question, hits, lang)
            answer_seconds += time.perf_counter() - t
            text = _squash(answer.text) if answer else ""
            answered += answer is not None
            passages += len(answer.used) if answer else 0
            chars += len(text)
            has_key = _squash(sentence) in text
            key += has_key
            span += _squash(span_text) in text
            if {point_id(h.document_id, h.chunk_index) for h in hits} & gold:
                retrieved += 1
                key_retrieved += has_key
        count = len(subset)
        rows.append(
            (
                lang,
                count,
                answered / count,
                key / count,
                span / count,
                retrieved / count,
                key_retrieved / max(1, retrieved),
                1000 * answer_seconds / count,
                passages / count,
                chars / count,
            )
        )
    print(f"\nXQuAD, extractive answers from the top {args.k} hybrid hits\n")
    print(
        "| lang | questions | answered | key sentence quoted | span quoted | gold in top k "
        "| key quoted of those retrieved | passages quoted | characters | ms/answer |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lang, count, answered, key, span, retrieved, key_retrieved, ms, cited, size in rows:
        print(
            f"| {lang} | {count} | {answered:.3f} | {key:.3f} | {span:.3f} | {retrieved:.3f} "
            f"| {key_retrieved:.3f} | {cited:.2f} | {size:.0f} | {ms:.2f} |"
        )
    print(f"\nbench runtime {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
