"""Hybrid search: dense + sparse candidates from Qdrant, fused; and the fusion functions alone.

A toy embedder stands in for a model: each text's vector counts a few "concepts", so a
question can match a chunk by meaning while sharing no word with it.
"""

from __future__ import annotations

import math

import pytest

from rag.config import RetrievalConfig
from rag.embeddings.sparse import SparseEncoder
from rag.models import Chunk, ChunkVectors
from rag.retrieval import search
from rag.retrieval.fusion import convex_fusion, rrf_fusion
from rag.store import ensure_collection, upsert_document_chunks

CONCEPTS = [
    # "wie" as in "wie viel": the toy's stand-in for meaning that hides in stopwords
    {"teuer", "kostet", "gebühr", "teilnahmegebühr", "euro", "preis", "wie"},
    {"anmeldeschluss", "frist", "anmelden", "bis", "wann"},
    {"bibliothek", "bücher", "lesesaal", "öffnet"},
    {"mensa", "essen", "mittag"},
]
DIM = len(CONCEPTS)

DOCUMENTS = {
    "fee": ("s1", "Die Teilnahmegebühr beträgt 200 Euro pro Semester."),
    "deadline": ("s1", "Anmeldeschluss für alle Kurse ist der 1. Mai."),
    "library": ("s2", "Die Bibliothek öffnet um 9 Uhr, der Lesesaal um 10 Uhr."),
    "canteen": ("s2", "Die Mensa bietet jeden Mittag drei Gerichte an."),
}


def toy_vector(text: str) -> list[float]:
    words = {word.strip(".,?!").lower() for word in text.split()}
    counts = [float(len(words & concept)) for concept in CONCEPTS]
    norm = math.sqrt(sum(c * c for c in counts)) or 1.0
    return [c / norm for c in counts]


def index(client, name: str, *, dense: bool) -> None:
    encoder = SparseEncoder()
    ensure_collection(client, name, DIM if dense else 0)
    for document_id, (source_id, text) in DOCUMENTS.items():
        chunk = Chunk(f"https://example.org/{document_id}", document_id, (), text, "de", 0)
        vectors = ChunkVectors(
            sparse=encoder.encode_document(chunk.index_text()),
            dense=tuple(toy_vector(text)) if dense else None,
        )
        upsert_document_chunks(client, name, document_id, [chunk], [vectors], source_id=source_id)


@pytest.fixture
def hybrid_collection(qdrant):
    index(qdrant, "hybrid", dense=True)
    return qdrant


def ids(hits) -> list[str]:
    return [hit.document_id for hit in hits]


def test_meaning_alone_finds_the_chunk_when_no_word_matches(hybrid_collection):
    question = "Wie teuer ist das?"  # "teuer" appears in no chunk

    assert search(hybrid_collection, "hybrid", question, k=3) == []
    hits = search(hybrid_collection, "hybrid", question, k=3, dense_vector=toy_vector(question))
    assert ids(hits)[0] == "fee"


def test_hybrid_hits_carry_both_scores_and_a_fused_score_in_0_1(hybrid_collection):
    question = "Wann ist der Anmeldeschluss?"
    hits = search(hybrid_collection, "hybrid", question, k=4, dense_vector=toy_vector(question))

    assert ids(hits)[0] == "deadline"
    top = hits[0]
    assert top.score == pytest.approx(1.0)  # best on both sides
    assert top.extra["sparse_score"] > 0 and top.extra["dense_score"] == pytest.approx(1.0)
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert top.url == "https://example.org/deadline" and top.source_id == "s1"


def test_min_score_drops_weak_hits(hybrid_collection):
    question = "Wann ist der Anmeldeschluss?"
    vector = toy_vector(question)
    every = search(hybrid_collection, "hybrid", question, k=4, dense_vector=vector)
    strong = search(hybrid_collection, "hybrid", question, k=4, dense_vector=vector, min_score=0.9)

    assert len(every) > 1
    assert ids(strong) == ["deadline"]


def test_source_filter_applies_to_both_sides(hybrid_collection):
    question = "Wie teuer ist die Bibliothek?"
    hits = search(
        hybrid_collection, "hybrid", question, k=4, source_ids=["s2"],
        dense_vector=toy_vector(question),
    )  # fmt: skip
    assert hits and {hit.source_id for hit in hits} == {"s2"}


def test_stopword_only_question_still_searches_by_meaning(hybrid_collection):
    question = "Wie ist das?"  # only stopwords for the sparse side
    assert SparseEncoder().encode_query(question).indices == ()
    assert search(hybrid_collection, "hybrid", question, k=1) == []
    hits = search(hybrid_collection, "hybrid", question, k=1, dense_vector=toy_vector(question))
    assert ids(hits) == ["fee"]


def test_without_a_dense_vector_search_stays_sparse(hybrid_collection):
    hits = search(hybrid_collection, "hybrid", "Mensa Mittag", k=2)
    assert ids(hits)[0] == "canteen"
    assert hits[0].score > 1.0  # a BM25 score, not a fused one
    assert "dense_score" not in hits[0].extra


def test_dense_vector_for_a_sparse_only_collection_is_ignored(qdrant):
    index(qdrant, "sparse-only", dense=False)
    plain = search(qdrant, "sparse-only", "Bibliothek Lesesaal", k=2)
    with_vector = search(
        qdrant, "sparse-only", "Bibliothek Lesesaal", k=2, dense_vector=[0.0, 0.0, 1.0, 0.0]
    )
    assert with_vector == plain and ids(plain)[0] == "library"


def test_a_vector_of_the_wrong_model_is_refused(hybrid_collection):
    with pytest.raises(ValueError, match="3 dimensions"):
        search(hybrid_collection, "hybrid", "Mensa", dense_vector=[0.1, 0.2, 0.3])


def test_rrf_is_available_as_fusion(hybrid_collection):
    question = "Wann ist der Anmeldeschluss?"
    hits = search(
        hybrid_collection, "hybrid", question, k=2, dense_vector=toy_vector(question),
        retrieval_config=RetrievalConfig(fusion="rrf"),
    )  # fmt: skip
    assert ids(hits)[0] == "deadline"
    assert hits[0].score == pytest.approx(2 * 0.5 / 61)


SPARSE = [("a", 12.0), ("b", 6.0), ("c", 3.0)]
DENSE = [("c", 0.8), ("b", 0.6), ("d", 0.4)]


@pytest.mark.parametrize(
    ("dense_weight", "expected"),
    [
        (0.0, ["a", "b", "c", "d"]),  # sparse order; d only on the dense side gets 0
        (1.0, ["c", "b", "d", "a"]),  # dense order
        # b: .5*.75 + .5*.5 = .625; a: .5; c: .5 + .125 = .625 -> b, c tie, first seen wins
        (0.5, ["b", "c", "a", "d"]),
        (0.3, ["a", "b", "c", "d"]),
    ],
)
def test_convex_fusion_orders_by_weighted_normalised_scores(dense_weight, expected):
    fused = convex_fusion(SPARSE, DENSE, dense_weight)
    assert [key for key, _ in fused] == expected
    assert fused[0][1] <= 1.0


def test_convex_fusion_keeps_score_gaps_that_rrf_loses():
    # sparse is sure (12 vs 1), dense barely prefers "y": fusion should trust sparse
    sparse = [("x", 12.0), ("y", 1.0)]
    dense = [("y", 0.61), ("x", 0.60)]
    assert convex_fusion(sparse, dense, 0.5)[0][0] == "x"
    rrf = rrf_fusion(sparse, dense)
    assert rrf[0][1] == rrf[1][1]  # RRF sees only ranks: a tie


def test_convex_fusion_handles_one_empty_side_and_bad_weights():
    assert convex_fusion([], DENSE, 0.4)[0] == ("c", pytest.approx(0.4))
    assert convex_fusion(SPARSE, [], 0.4)[0] == ("a", pytest.approx(0.6))
    assert convex_fusion([], [], 0.5) == []
    with pytest.raises(ValueError):
        convex_fusion(SPARSE, DENSE, 1.5)


def test_rrf_fusion_weights_ranks():
    plain = rrf_fusion(SPARSE, DENSE, 0.5, k=60)
    # c (ranks 3 and 1) edges out b (2 and 2); a and d have one rank each
    assert [key for key, _ in plain] == ["c", "b", "a", "d"]
    assert plain[1][1] == pytest.approx(2 * 0.5 / 62)
    assert rrf_fusion(SPARSE, DENSE, 0.0)[0][0] == "a"
