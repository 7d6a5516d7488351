"""Indexing that fails: retried while tries remain, then given up; an embedding service that
rejects the request. Either way the Document says why and its old chunks leave the index.

The real ingest task and the real OpenAI embedder run against a local embeddings server
that answers as told (tests.rag.test_dense_openai); Qdrant is the embedded local mode.
"""

from __future__ import annotations

import uuid

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings

from backend import wiring
from backend.documents.indexing import ingest_document
from backend.documents.models import Document
from backend.ops import stores
from backend.ops.embedded import release_embedded_stores
from backend.sources.models import Source
from crawler.store import PageStoreUnavailable
from rag.embeddings.openai_api import OpenAIEmbedder
from rag.errors import VectorStoreRequestError, VectorStoreUnavailable
from rag.ingest import collection_for
from rag.store.points import document_chunks
from tests.rag.test_dense_openai import DIM, embeddings_server  # noqa: F401 (a fixture)
from workers.tasks.rag import ingest_document_task

pytestmark = pytest.mark.django_db

URL = "https://verein.example/beitraege/"
PAGE = (
    "<html lang='de'><head><title>Beiträge</title></head><body><main><h1>Beiträge</h1>"
    "<h2>Erwachsene</h2><p>Der Jahresbeitrag beträgt für Erwachsene 120 Euro im Jahr.</p>"
    "<h2>Kinder</h2><p>Kinder und Jugendliche zahlen 60 Euro im Jahr.</p></main></body></html>"
).encode()


@pytest.fixture
def dense_index(embeddings_server, monkeypatch):  # noqa: F811
    """Settings for dense vectors from the local server, in a collection of this test's own;
    the embedder is the real one, only its waits between retries are skipped."""
    stores.close_stores()
    release_embedded_stores()
    with override_settings(
        EMBEDDING_PROVIDER="openai",
        EMBEDDING_MODEL="text-embedding-3-small",
        EMBEDDING_DIM=DIM,
        EMBEDDING_API_KEY="test-key",
        EMBEDDING_BASE_URL=embeddings_server.url + "/v1",
        QDRANT_COLLECTION_PREFIX=f"failures{uuid.uuid4().hex[:8]}",
    ):
        embedder = OpenAIEmbedder(wiring.dense_config(), sleep=lambda seconds: None)
        monkeypatch.setattr("backend.documents.indexing.dense_embedder", lambda: embedder)
        yield embeddings_server
    stores.close_stores()
    release_embedded_stores()


@pytest.fixture
def indexed_document(dense_index) -> Document:
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    stores.page_store().record_fetch(
        URL, source_id=str(source.pk), status=200, body=PAGE, content_type="text/html"
    )
    doc = Document.objects.create(source=source, url=URL, content_type="text/html")
    assert ingest_document(doc.pk) == Document.Status.INDEXED
    doc.refresh_from_db()
    assert doc.chunk_count >= 2 and len(chunks_of(doc)) == doc.chunk_count
    return doc


def chunks_of(doc: Document) -> list[dict]:
    return document_chunks(stores.vector_client(), collection_for(wiring.rag_config()), str(doc.pk))


def run_task(document_id: int, *, retries: int) -> None:
    """The ingest task as a worker runs its ``retries``-th retry (not eagerly)."""
    ingest_document_task.push_request(
        id=str(uuid.uuid4()),
        args=[document_id],
        kwargs={},
        retries=retries,
        is_eager=False,
        called_directly=False,
    )
    try:
        ingest_document_task.run(document_id)
    finally:
        ingest_document_task.pop_request()


def test_transient_trouble_is_retried_with_backoff_then_given_up(indexed_document, dense_index):
    doc = indexed_document
    chunk_count = doc.chunk_count
    dense_index.failures = [(503, {})] * 1000  # the embedding service stays overloaded

    for retries in range(settings.RAG_MAX_RETRIES):
        with pytest.raises(Retry) as retry:
            run_task(doc.pk, retries=retries)
        # the tasks' policy (workers.tasks._base.TASK_RETRY): 5 s doubling up to 10 minutes,
        # at least half of it kept by the jitter; meanwhile the old version stays findable
        base = min(600, 5 * 2**retries)
        assert 0.5 * base <= retry.value.when <= base
        doc.refresh_from_db()
        assert (doc.status, doc.chunk_count) == (Document.Status.INDEXED, chunk_count)
        assert len(chunks_of(doc)) == chunk_count

    run_task(doc.pk, retries=settings.RAG_MAX_RETRIES)  # the last try: no retry raised

    doc.refresh_from_db()
    assert doc.status == Document.Status.FAILED
    assert doc.error.startswith(f"Gave up after {settings.RAG_MAX_RETRIES + 1} tries: ")
    assert "503" in doc.error or "unavailable" in doc.error.lower(), doc.error
    assert doc.chunk_count == 0
    assert chunks_of(doc) == []
    # every try asked the service (the embedder's own retries included)
    assert len(dense_index.embedding_requests) > settings.RAG_MAX_RETRIES + 1


def test_a_request_the_embedding_service_rejects_fails_at_once(indexed_document, dense_index):
    doc = indexed_document
    requests_before = len(dense_index.embedding_requests)
    dense_index.failures = [(400, {})]

    ingest_document_task.apply(args=[doc.pk]).get()

    doc.refresh_from_db()
    assert doc.status == Document.Status.FAILED
    assert doc.error.startswith("The embedding service refused the request: ")
    assert "400" in doc.error
    assert doc.chunk_count == 0
    assert chunks_of(doc) == []
    # a rejected request is not worth a retry: the same input gets the same answer
    assert len(dense_index.embedding_requests) == requests_before + 1


def test_a_document_given_up_on_indexes_again_once_the_service_is_back(
    indexed_document, dense_index
):
    doc = indexed_document
    dense_index.failures = [(503, {})] * 1000
    run_task(doc.pk, retries=settings.RAG_MAX_RETRIES)
    doc.refresh_from_db()
    assert doc.status == Document.Status.FAILED

    dense_index.failures = []
    ingest_document_task.apply(args=[doc.pk]).get()

    doc.refresh_from_db()
    assert (doc.status, doc.error) == (Document.Status.INDEXED, "")
    assert doc.chunk_count >= 2 and len(chunks_of(doc)) == doc.chunk_count


@pytest.mark.parametrize(
    "error",
    [
        VectorStoreUnavailable("Qdrant not reachable"),
        PageStoreUnavailable("page store not reachable"),
        OperationalError(2006, "MySQL server has gone away"),
        ConnectionResetError("reset by peer"),
    ],
    ids=type,
)
def test_transient_errors_of_any_store_are_retried(indexed_document, monkeypatch, error):
    doc = indexed_document

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr("rag.ingest.upsert_document_chunks", fails)
    with pytest.raises(Retry):
        run_task(doc.pk, retries=0)
    doc.refresh_from_db()
    assert doc.status == Document.Status.INDEXED  # untouched until the last try


def test_a_refusal_of_the_vector_store_fails_at_once(indexed_document, monkeypatch):
    doc = indexed_document

    def refuses(*args, **kwargs):
        raise VectorStoreRequestError("Qdrant refused the request: 400 (Bad Request)")

    monkeypatch.setattr("rag.ingest.upsert_document_chunks", refuses)
    run_task(doc.pk, retries=0)  # no Retry raised

    doc.refresh_from_db()
    assert doc.status == Document.Status.FAILED
    assert "Qdrant refused the request" in doc.error
