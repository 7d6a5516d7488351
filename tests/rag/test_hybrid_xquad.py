"""Hybrid retrieval quality with the local model on a slice of XQuAD (German and English in one
collection): fusing must not lose to the better single retriever. The full measurement is
tests/bench/bench_retrieval.py; this keeps a quick guard in every run."""

from __future__ import annotations

import json

import pytest

from rag.config import DenseConfig
from rag.embeddings import build_dense_embedder
from rag.embeddings.sparse import SparseEncoder
from rag.models import Chunk, ChunkVectors
from rag.retrieval import search
from rag.store import ensure_collection, upsert_document_chunks
from tests.rag.conftest import shared_path
from tests.rag.test_dense_local import model_dir  # noqa: F401 (fixture)

ARTICLES = 4  # per language: 20 paragraphs each, ~200 questions in all


@pytest.fixture(scope="module")
def xquad_slice(model_dir):  # noqa: F811
    from qdrant_client import QdrantClient

    embedder = build_dense_embedder(
        DenseConfig(model="all-MiniLM-L6-v2", dim=384, provider="local", model_dir=str(model_dir))
    )
    encoder = SparseEncoder()
    client = QdrantClient(":memory:")
    ensure_collection(client, "xquad", embedder.dim)
    questions: list[tuple[str, str]] = []
    for lang in ("de", "en"):
        path = shared_path("data", "qa", "xquad", f"xquad.{lang}.json")
        data = json.loads(path.read_text(encoding="utf-8"))["data"][:ARTICLES]
        paragraphs = [p for article in data for p in article["paragraphs"]]
        texts = [p["context"] for p in paragraphs]
        dense = embedder.embed_documents(texts)
        for number, (paragraph, vector) in enumerate(zip(paragraphs, dense, strict=True)):
            document_id = f"{lang}{number}"
            chunk = Chunk("https://example.org/xquad", "XQuAD", (), paragraph["context"], lang, 0)
            vectors = ChunkVectors(encoder.encode_document(chunk.index_text()), tuple(vector))
            upsert_document_chunks(client, "xquad", document_id, [chunk], [vectors])
            questions += [(qa["question"], document_id) for qa in paragraph["qas"]]
    vectors = embedder.embed_documents([question for question, _ in questions])
    yield client, encoder, list(zip(questions, vectors, strict=True))
    client.close()


def recall(client, encoder, cases, *, mode: str) -> tuple[float, float]:
    first = top5 = 0
    for (question, document_id), vector in cases:
        if mode == "dense":
            points = client.query_points("xquad", query=vector, using="dense", limit=5).points
            found = [point.payload["document_id"] for point in points]
        else:
            dense_vector = vector if mode == "hybrid" else None
            hits = search(
                client, "xquad", question, k=5, encoder=encoder, dense_vector=dense_vector
            )
            found = [hit.document_id for hit in hits]
        first += found[:1] == [document_id]
        top5 += document_id in found
    return first / len(cases), top5 / len(cases)


def test_hybrid_is_at_least_as_good_as_either_retriever(xquad_slice):
    client, encoder, cases = xquad_slice
    sparse = recall(client, encoder, cases, mode="sparse")
    dense = recall(client, encoder, cases, mode="dense")
    hybrid = recall(client, encoder, cases, mode="hybrid")

    # measured: recall@1/@5 sparse 0.893/0.993, dense 0.752/0.974, hybrid 0.930/1.000
    assert hybrid[0] >= max(sparse[0], dense[0]), (sparse, dense, hybrid)
    assert hybrid[1] >= max(sparse[1], dense[1]), (sparse, dense, hybrid)
