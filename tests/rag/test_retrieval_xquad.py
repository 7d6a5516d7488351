"""Retrieval quality on German XQuAD: every paragraph is a chunk, every question must find its
paragraph. Guards the sparse encoder (stemming, n-grams, hashing) against regressions."""

from __future__ import annotations

import json

from rag.embeddings.sparse import SparseEncoder
from rag.models import Chunk, ChunkVectors
from rag.retrieval import search
from rag.store import ensure_collection, upsert_document_chunks
from tests.rag.conftest import shared_path

QUESTIONS = 300  # of 1190: enough to be stable, quick enough for every run


def test_german_questions_find_their_paragraph(qdrant):
    path = shared_path("data", "qa", "xquad", "xquad.de.json")
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    encoder = SparseEncoder()
    ensure_collection(qdrant, "xquad")
    questions: list[tuple[str, str]] = []
    for number, paragraph in enumerate(p for article in data for p in article["paragraphs"]):
        document_id = f"p{number}"
        chunk = Chunk("https://example.org/xquad", "XQuAD", (), paragraph["context"], "de", 0)
        vectors = ChunkVectors(encoder.encode_document(chunk.index_text()))
        upsert_document_chunks(qdrant, "xquad", document_id, [chunk], [vectors])
        questions += [(qa["question"], document_id) for qa in paragraph["qas"]]

    first = top5 = 0
    for question, document_id in questions[:QUESTIONS]:
        found = [hit.document_id for hit in search(qdrant, "xquad", question, k=5, encoder=encoder)]
        first += found[:1] == [document_id]
        top5 += document_id in found

    # measured: recall@1 0.93, recall@5 0.98 over all 1190 questions
    assert first / QUESTIONS >= 0.85
    assert top5 / QUESTIONS >= 0.95
