"""The inverted-index sparse scorer gives local mode's own results, only faster."""

from __future__ import annotations

import random

import numpy as np
import pytest
from qdrant_client import models
from qdrant_client.local import local_collection, sparse_distances

from rag.embeddings.sparse import SparseEncoder
from rag.models import Chunk, ChunkVectors
from rag.store import ensure_collection, local_sparse, point_id, upsert_document_chunks
from rag.store.collections import SPARSE


def random_vector(rng: random.Random, vocabulary: int, size: int) -> models.SparseVector:
    indices = sorted(rng.sample(range(vocabulary), size))
    return models.SparseVector(indices=indices, values=[rng.uniform(0.1, 3.0) for _ in indices])


@pytest.mark.parametrize("seed", range(5))
def test_scores_equal_qdrant_local_modes_own(seed):
    rng = random.Random(seed)
    stored = [random_vector(rng, 300, rng.randint(0, 60)) for _ in range(200)]
    for _ in range(20):
        query = random_vector(rng, 330, rng.randint(1, 25))  # some terms nobody has
        ours = local_sparse.score(query, local_sparse.build_index(stored), len(stored))
        theirs = sparse_distances.calculate_distance_sparse(query, stored)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        assert np.array_equal(np.isneginf(ours), np.isneginf(theirs))
        assert ours.dtype == np.float32


def test_a_query_sharing_no_term_scores_minus_infinity_everywhere():
    stored = [models.SparseVector(indices=[1, 2], values=[1.0, 1.0])] * 3
    query = models.SparseVector(indices=[7], values=[1.0])
    scores = local_sparse.score(query, local_sparse.build_index(stored), 3)
    assert np.isneginf(scores).all()


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


def test_search_follows_upserts_and_deletes(qdrant):
    assert local_collection.calculate_distance_sparse is local_sparse.calculate_distance_sparse
    ensure_collection(qdrant, "c")
    upsert_document_chunks(qdrant, "c", "d1", *encode(["Öffnungszeiten der Geschäftsstelle"]))
    upsert_document_chunks(qdrant, "c", "d2", *encode(["Mitgliedsbeitrag und Satzung"]))
    assert top_ids(qdrant, "Öffnungszeiten") == [point_id("d1", 0)]

    # the same point gets new text: the index must not answer from the old vector
    upsert_document_chunks(qdrant, "c", "d1", *encode(["Anfahrt mit dem Bus"]))
    assert top_ids(qdrant, "Öffnungszeiten") == []
    assert top_ids(qdrant, "Bus") == [point_id("d1", 0)]

    upsert_document_chunks(qdrant, "c", "d3", *encode(["Öffnungszeiten im Sommer"]))
    assert top_ids(qdrant, "Öffnungszeiten") == [point_id("d3", 0)]
    qdrant.delete("c", points_selector=models.PointIdsList(points=[point_id("d3", 0)]))
    assert top_ids(qdrant, "Öffnungszeiten") == []


def test_changed_points_are_scored_on_top_of_the_index_until_it_is_rebuilt(monkeypatch):
    monkeypatch.setattr(local_sparse, "_indexes", [])
    monkeypatch.setattr(local_sparse, "_original", sparse_distances.calculate_distance_sparse)
    rng = random.Random(7)
    stored = [random_vector(rng, 300, rng.randint(1, 40)) for _ in range(300)]
    query = random_vector(rng, 300, 20)

    def check(vectors):
        ours = local_sparse.calculate_distance_sparse(query, vectors)
        theirs = sparse_distances.calculate_distance_sparse(query, vectors)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)

    check(stored)
    (first,) = local_sparse._indexes
    # a few upserts and new points, as while a crawl is being indexed: the same index serves
    stored[3] = random_vector(rng, 300, 10)
    stored[250] = models.SparseVector(indices=[], values=[])  # a deleted point's vector
    stored += [random_vector(rng, 300, 12) for _ in range(5)]
    check(stored)
    assert local_sparse._indexes == [first]
    # many changes: a new index replaces the old one of the same collection
    stored[:100] = [random_vector(rng, 300, 15) for _ in range(100)]
    monkeypatch.setattr(local_sparse, "_MAX_DELTA", 50)
    check(stored)
    assert len(local_sparse._indexes) == 1 and local_sparse._indexes[0] is not first
    # other collections join the cache, which stays bounded
    for _ in range(local_sparse._MAX_INDEXES + 2):
        check([random_vector(rng, 300, 8) for _ in range(40)])
    assert len(local_sparse._indexes) == local_sparse._MAX_INDEXES
