"""Local mode's sparse search from Lotse's inverted index: the same hits and scores as
qdrant-client's own local mode (the reference, opened side by side), only without a scan."""

from __future__ import annotations

import random

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from rag.embeddings.sparse import SparseEncoder
from rag.models import Chunk, ChunkVectors
from rag.store import ensure_collection, point_id, upsert_document_chunks
from rag.store import sparse_index as sparse_index_module
from rag.store.collections import DENSE, SPARSE
from rag.store.local_client import LocalQdrantClient


def random_vector(rng: random.Random, vocabulary: int, size: int) -> models.SparseVector:
    indices = sorted(rng.sample(range(vocabulary), size))
    return models.SparseVector(indices=indices, values=[rng.uniform(0.1, 3.0) for _ in indices])


def random_point(rng: random.Random, number: int, dense: bool = False) -> models.PointStruct:
    vector: dict = {SPARSE: random_vector(rng, 300, rng.randint(1, 40))}
    if dense:
        vector[DENSE] = [rng.uniform(-1, 1) for _ in range(4)]
    return models.PointStruct(
        id=number, vector=vector, payload={"source_id": str(number % 3), "n": number}
    )


@pytest.fixture
def pair():
    """Lotse's client and qdrant-client's plain local mode, holding the same collection."""
    ours, theirs = LocalQdrantClient(":memory:"), QdrantClient(":memory:")
    for client in (ours, theirs):
        ensure_collection(client, "c", dense_dim=4)
    yield ours, theirs
    ours.close()
    theirs.close()


def both(pair, method: str, *args, **kwargs):
    return [getattr(client, method)("c", *args, **kwargs) for client in pair]


def assert_same_hits(pair, query, **kwargs):
    ours, theirs = both(pair, "query_points", query=query, using=SPARSE, **kwargs)
    assert [p.id for p in ours.points] == [p.id for p in theirs.points]
    np.testing.assert_allclose(
        [p.score for p in ours.points], [p.score for p in theirs.points], rtol=1e-5
    )
    assert [p.payload for p in ours.points] == [p.payload for p in theirs.points]


SOURCE_FILTERS = [
    None,
    models.Filter(must=[models.FieldCondition(key="source_id", match=models.MatchValue(value="1"))]),
    models.Filter(must=[models.FieldCondition(key="source_id", match=models.MatchAny(any=["0", "2"]))]),
    models.Filter(must=[models.FieldCondition(key="source_id", match=models.MatchAny(any=["9"]))]),
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_hits_and_scores_equal_qdrant_local_modes_own(pair, seed):
    rng = random.Random(seed)
    points = [random_point(rng, n) for n in range(200)]
    both(pair, "upsert", points=points)
    for query_filter in SOURCE_FILTERS:
        for _ in range(10):
            query = random_vector(rng, 330, rng.randint(1, 25))  # some terms nobody has
            assert_same_hits(pair, query, limit=rng.randint(1, 30), query_filter=query_filter)


def test_the_index_follows_every_kind_of_write(pair, monkeypatch):
    # rewrite the arrays as soon as a handful of postings are dead, to exercise it
    monkeypatch.setattr(sparse_index_module, "_MIN_DEAD_FOR_COMPACTION", 10)
    rng = random.Random(11)
    both(pair, "upsert", points=[random_point(rng, n) for n in range(120)])
    queries = [random_vector(rng, 300, rng.randint(1, 20)) for _ in range(8)]

    def check():
        for query in queries:
            assert_same_hits(pair, query, limit=15)
            assert_same_hits(pair, query, limit=15, query_filter=SOURCE_FILTERS[2])

    check()  # builds the index
    index = pair[0].sparse_index("c")
    both(pair, "upsert", points=[random_point(rng, n) for n in range(0, 120, 3)])  # replaced
    check()
    both(pair, "delete", points_selector=models.PointIdsList(points=list(range(1, 60, 2))))
    check()
    by_filter = models.Filter(
        must=[models.FieldCondition(key="source_id", match=models.MatchValue(value="2"))]
    )
    both(pair, "delete", points_selector=models.FilterSelector(filter=by_filter))
    check()
    # a point that loses its sparse vector leaves the sparse index
    both(pair, "upsert", points=[models.PointStruct(id=0, vector={DENSE: [1, 0, 0, 0]})])
    check()
    both(pair, "upsert", points=[random_point(rng, n) for n in range(200, 260)])
    check()
    assert pair[0].sparse_index("c") is index  # followed point by point, never rebuilt
    assert index.compactions >= 1  # ... and the dead postings were dropped on the way

    # a write it does not follow point by point: rebuilt from the store, same answers
    both(pair, "set_payload", payload={"source_id": "1"}, points=[200, 201, 202])
    check()
    assert pair[0].sparse_index("c") is not index


def test_batch_queries_mix_index_answers_with_local_modes(pair):
    rng = random.Random(5)
    both(pair, "upsert", points=[random_point(rng, n, dense=True) for n in range(80)])
    sparse = random_vector(rng, 300, 12)
    requests = [
        models.QueryRequest(query=[0.3, -0.2, 0.9, 0.1], using=DENSE, limit=7, with_payload=True),
        models.QueryRequest(query=sparse, using=SPARSE, limit=9, with_payload=True),
        models.QueryRequest(query=sparse, using=SPARSE, limit=5, offset=2),  # not served
    ]
    ours, theirs = both(pair, "query_batch_points", requests=requests)
    for mine, reference in zip(ours, theirs, strict=True):
        assert [p.id for p in mine.points] == [p.id for p in reference.points]
        assert [p.payload for p in mine.points] == [p.payload for p in reference.points]


def test_a_reopened_store_is_indexed_from_disk(tmp_path):
    rng = random.Random(3)
    query = random_vector(rng, 300, 15)
    first = LocalQdrantClient(path=str(tmp_path / "q"))
    ensure_collection(first, "c")
    first.upsert("c", points=[random_point(rng, n) for n in range(50)])
    before = first.query_points("c", query=query, using=SPARSE, limit=10).points
    first.close()
    again = LocalQdrantClient(path=str(tmp_path / "q"))
    after = again.query_points("c", query=query, using=SPARSE, limit=10).points
    assert [(p.id, p.score) for p in after] == [(p.id, p.score) for p in before]
    assert len(again.sparse_index("c")) == 50
    again.close()


def encode(texts):
    encoder = SparseEncoder()
    chunks = [
        Chunk("https://example.org/a", "A", (), t, "de", position=i) for i, t in enumerate(texts)
    ]
    return chunks, [ChunkVectors(encoder.encode_document(t)) for t in texts]


def top_ids(client, query: str, limit: int = 3) -> list[str]:
    vector = SparseEncoder().encode_query(query)
    points = client.query_points(
        "c",
        query=models.SparseVector(indices=vector.indices, values=vector.values),
        using=SPARSE,
        limit=limit,
    ).points
    return [str(p.id) for p in points]


def test_search_follows_document_writes(qdrant):
    ensure_collection(qdrant, "c")
    upsert_document_chunks(qdrant, "c", "d1", *encode(["Öffnungszeiten der Geschäftsstelle"]))
    upsert_document_chunks(qdrant, "c", "d2", *encode(["Mitgliedsbeitrag und Satzung"]))
    assert top_ids(qdrant, "Öffnungszeiten") == [point_id("d1", 0)]

    # the same point gets new text: the index must not answer from the old vector
    upsert_document_chunks(qdrant, "c", "d1", *encode(["Anfahrt mit dem Bus"]), stale_slots=1)
    assert top_ids(qdrant, "Öffnungszeiten") == []
    assert top_ids(qdrant, "Bus") == [point_id("d1", 0)]

    upsert_document_chunks(qdrant, "c", "d3", *encode(["Öffnungszeiten im Sommer"]))
    assert top_ids(qdrant, "Öffnungszeiten") == [point_id("d3", 0)]
    qdrant.delete("c", points_selector=models.PointIdsList(points=[point_id("d3", 0)]))
    assert top_ids(qdrant, "Öffnungszeiten") == []


def test_the_cost_of_a_write_is_its_own_terms():
    index = sparse_index_module.SparseIndex()
    rng = random.Random(1)
    for n in range(2000):
        vector = random_vector(rng, 5000, 30)
        index.upsert(n, vector.indices, vector.values, "1")
    before = index.postings
    index.upsert(5, [1, 2, 3], [1.0, 1.0, 1.0], "1")  # replaces a 30-term vector
    assert index.postings - before == 3  # the old vector's 30 are dead, not rewritten
    assert len(index) == 2000


def test_bulk_load_answers_like_point_by_point():
    rng = random.Random(9)
    points = []
    for n in range(400):
        vector = random_vector(rng, 800, rng.randint(0, 30))
        points.append((n % 350, vector.indices, vector.values, str(n % 4)))  # ids repeat
    loaded, added = sparse_index_module.SparseIndex(), sparse_index_module.SparseIndex()
    loaded.load(points)
    added.upsert_many(points)
    assert len(loaded) == len(added) == 350
    for _ in range(20):
        query = random_vector(rng, 800, 12)
        for groups in (None, ["1", "3"]):
            ours = loaded.search(query.indices, query.values, 20, groups)
            theirs = added.search(query.indices, query.values, 20, groups)
            assert [i for i, _ in ours] == [i for i, _ in theirs]
            np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-6)


def test_loading_nothing_or_only_empty_vectors_leaves_a_searchable_index():
    for points in ([], [(1, [], [], "1"), (2, [], [], "1")]):
        index = sparse_index_module.SparseIndex()
        index.load(points)
        assert len(index) == len(points)
        assert index.search([3], [1.0], 5, None) == []
        index.upsert(7, [3], [1.0], "1")  # and it takes writes afterwards
        assert [i for i, _ in index.search([3], [1.0], 5, None)] == [7]
