from __future__ import annotations

import uuid

import pytest

from rag.config import DenseConfig, SparseConfig, VectorStoreConfig
from rag.embeddings.sparse import SparseEncoder
from rag.errors import VectorStoreUnavailable
from rag.models import Chunk, ChunkVectors
from rag.store import (
    collection_name,
    count_document_chunks,
    delete_document,
    ensure_collection,
    open_vector_client,
    point_id,
    upsert_document_chunks,
)


@pytest.mark.parametrize(
    ("prefix", "dense", "sparse", "expected"),
    [
        ("lotse", DenseConfig(), SparseConfig(), "lotse-sparse-s1"),
        ("lotse", DenseConfig("text-embedding-3-small", 1536), SparseConfig(), "lotse-text-embedding-3-small-1536-s1"),
        ("kunde", DenseConfig("BAAI/bge-m3", 1024), SparseConfig(version=2), "kunde-baai-bge-m3-1024-s2"),
    ],
)  # fmt: skip
def test_collection_name(prefix, dense, sparse, expected):
    assert collection_name(prefix, dense, sparse) == expected


def test_point_ids_are_deterministic_and_distinct():
    assert point_id("42", 0) == point_id("42", 0)
    assert len({point_id("42", 0), point_id("42", 1), point_id("43", 0)}) == 3
    assert str(uuid.UUID(point_id("42", 0))) == point_id("42", 0)


def chunks_and_vectors(texts: list[str]) -> tuple[list[Chunk], list[ChunkVectors]]:
    encoder = SparseEncoder()
    chunks = [
        Chunk("https://example.org/a", "A", ("H",), text, "de", position=i)
        for i, text in enumerate(texts)
    ]
    return chunks, [ChunkVectors(encoder.encode_document(t)) for t in texts]


def test_shorter_version_deletes_leftover_chunks_of_that_document_only(qdrant):
    ensure_collection(qdrant, "c")
    upsert_document_chunks(qdrant, "c", "doc-1", *chunks_and_vectors(["eins", "zwei", "drei"]))
    upsert_document_chunks(qdrant, "c", "doc-2", *chunks_and_vectors(["andere", "seite"]))

    upsert_document_chunks(qdrant, "c", "doc-1", *chunks_and_vectors(["eins neu"]))

    assert count_document_chunks(qdrant, "c", "doc-1") == 1
    assert count_document_chunks(qdrant, "c", "doc-2") == 2
    (point,) = qdrant.retrieve("c", [point_id("doc-1", 0)], with_payload=True)
    assert point.payload["text"] == "eins neu"


def test_delete_document(qdrant):
    ensure_collection(qdrant, "c")
    upsert_document_chunks(qdrant, "c", "doc-1", *chunks_and_vectors(["eins", "zwei"]))
    upsert_document_chunks(qdrant, "c", "doc-2", *chunks_and_vectors(["andere"]))

    delete_document(qdrant, "c", "doc-1")
    delete_document(qdrant, "c", "doc-1")  # gone already: still fine

    assert count_document_chunks(qdrant, "c", "doc-1") == 0
    assert count_document_chunks(qdrant, "c", "doc-2") == 1


def test_ensure_collection_is_idempotent_and_has_named_vectors(qdrant):
    assert ensure_collection(qdrant, "c", dense_dim=4) is True
    assert ensure_collection(qdrant, "c", dense_dim=4) is False
    info = qdrant.get_collection("c")
    assert set(info.config.params.vectors) == {"dense"}
    assert set(info.config.params.sparse_vectors) == {"sparse"}
    assert info.config.params.sparse_vectors["sparse"].modifier.value == "idf"


def test_mismatched_vectors_are_refused(qdrant):
    ensure_collection(qdrant, "c")
    chunks, vectors = chunks_and_vectors(["eins", "zwei"])
    with pytest.raises(ValueError):
        upsert_document_chunks(qdrant, "c", "doc", chunks, vectors[:1])


def test_local_store_is_exclusive_to_one_process_handle(tmp_path):
    config = VectorStoreConfig(url="", path=str(tmp_path / "qdrant"))
    first = open_vector_client(config)
    try:
        with pytest.raises(VectorStoreUnavailable):
            open_vector_client(config)
    finally:
        first.close()
