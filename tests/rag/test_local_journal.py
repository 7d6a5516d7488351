"""The embedded vector store's file: what a reopened store holds is what was written."""

from __future__ import annotations

import gc
import random

import pytest
from qdrant_client import QdrantClient, models

from rag.config import VectorStoreConfig
from rag.errors import VectorStoreUnavailable
from rag.store import ensure_collection, open_vector_client
from rag.store.collections import DENSE, SPARSE
from rag.store.local_client import LocalQdrantClient
from rag.store.local_journal import PointJournal
from tests.rag.test_local_sparse import random_point, random_vector


def snapshot(client, collection: str = "c") -> dict:
    records, _ = client.scroll(collection, limit=10_000, with_payload=True, with_vectors=True)
    return {
        r.id: (
            r.payload,
            sorted(zip(r.vector[SPARSE].indices, r.vector[SPARSE].values, strict=True)),
        )
        for r in records
    }


def test_every_write_survives_reopening(tmp_path):
    rng = random.Random(2)
    first = LocalQdrantClient(path=str(tmp_path))
    ensure_collection(first, "c", dense_dim=4)
    ensure_collection(first, "other")
    first.upsert("c", points=[random_point(rng, n, dense=True) for n in range(60)])
    first.upsert("c", points=[random_point(rng, n, dense=True) for n in range(0, 60, 4)])
    # (a payload write rewrites the collection's points in the file: before the deletes, so
    # that they are written point by point)
    first.set_payload("c", payload={"extra": 1}, points=[4, 6])
    first.delete("c", points_selector=models.PointIdsList(points=[1, 2, 3]))
    by_source = models.Filter(
        must=[models.FieldCondition(key="source_id", match=models.MatchValue(value="2"))]
    )
    first.delete("c", points_selector=models.FilterSelector(filter=by_source))
    first.delete_collection("other")
    expected = snapshot(first)
    query = random_vector(rng, 300, 15)
    hits = first.query_points("c", query=query, using=SPARSE, limit=10).points
    first.close()

    again = LocalQdrantClient(path=str(tmp_path))
    assert [c.name for c in again.get_collections().collections] == ["c"]
    assert snapshot(again) == expected
    assert 1 not in expected and all(p[0]["source_id"] != "2" for p in expected.values())
    assert expected[4][0]["extra"] == 1
    reopened_hits = again.query_points("c", query=query, using=SPARSE, limit=10).points
    assert [(p.id, p.score) for p in reopened_hits] == [(p.id, p.score) for p in hits]
    dense = again.query_points("c", query=[1.0, 0.0, 0.0, 0.0], using=DENSE, limit=3).points
    assert len(dense) == 3
    again.close()


def test_a_folder_in_local_modes_own_format_is_imported(tmp_path):
    rng = random.Random(4)
    old = QdrantClient(path=str(tmp_path))  # what Lotse wrote before it had its own file
    ensure_collection(old, "c")
    old.upsert("c", points=[random_point(rng, n) for n in range(30)])
    expected = snapshot(old)
    old.close()
    del old
    gc.collect()  # local mode lets go of its folder lock only when the client is collected

    client = LocalQdrantClient(path=str(tmp_path))
    assert snapshot(client) == expected
    client.close()


def test_one_process_handle_at_a_time(tmp_path):
    config = VectorStoreConfig(url="", path=str(tmp_path))
    first = open_vector_client(config)
    with pytest.raises(VectorStoreUnavailable):
        open_vector_client(config)
    first.close()
    open_vector_client(config).close()  # released on close


def test_closing_a_journal_twice_is_harmless(tmp_path):
    journal = PointJournal(tmp_path)
    journal.close()
    journal.close()  # a client that failed to open, then garbage-collected, does this
    PointJournal(tmp_path).close()  # the lock was released once
