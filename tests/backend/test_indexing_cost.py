"""Indexing one document touches that document's points, never the whole collection.

Qdrant's local mode (the embedded default) answers every filter - a delete, scroll or count
by ``document_id`` - by scanning all points, so one such call per ingest makes indexing a site
cost the square of its size. These tests index into a collection that already holds
thousands of points through a client that records what each call selects, and fail when a
per-document operation selects by filter or touches more points than the document has.
Timing stays in tests/bench (bench_scale.py, profile_ingest.py).
"""

from __future__ import annotations

import pytest
from qdrant_client import models

from backend.documents import indexing
from backend.documents.models import Document
from backend.sources.models import Source
from rag.config import RagConfig, VectorStoreConfig
from rag.embeddings.sparse import SparseEncoder
from rag.errors import VectorStoreUnavailable
from rag.ingest import collection_for
from rag.models import Chunk, ChunkVectors
from rag.store import ensure_collection, point_id, upsert_document_chunks
from rag.store.local_client import LocalQdrantClient

pytestmark = pytest.mark.django_db

FILLER_DOCUMENTS = 500  # x 6 chunks: a collection much larger than any one document


class RecordingClient(LocalQdrantClient):
    """Local mode that notes, per call, how many points it selects: the ids it names, or
    the whole collection for a selection by filter (that is what local mode scans)."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.calls: list[tuple[str, int, bool]] = []  # (method, points selected, by filter)
        self.die_after_upsert = False  # a worker killed right after its write

    def _note(self, method: str, ids=None, by_filter: bool = False, collection: str = ""):
        if self.calls is None:
            return
        size = self.count(collection).count if by_filter else len(ids or ())
        self.calls.append((method, size, by_filter))

    def upsert(self, collection_name, points, *args, **kwargs):
        self._note("upsert", points)
        result = super().upsert(collection_name, points, *args, **kwargs)
        if self.die_after_upsert:
            raise ConnectionError("worker killed")
        return result

    def delete(self, collection_name, points_selector, *args, **kwargs):
        if isinstance(points_selector, models.PointIdsList):
            self._note("delete", points_selector.points)
        elif isinstance(points_selector, list):
            self._note("delete", points_selector)
        else:
            self._note("delete", by_filter=True, collection=collection_name)
        return super().delete(collection_name, points_selector, *args, **kwargs)

    def retrieve(self, collection_name, ids, *args, **kwargs):
        self._note("retrieve", ids)
        return super().retrieve(collection_name, ids, *args, **kwargs)

    def scroll(self, collection_name, *args, **kwargs):
        self._note("scroll", by_filter=True, collection=collection_name)
        return super().scroll(collection_name, *args, **kwargs)

    def count(self, collection_name, count_filter=None, *args, **kwargs):
        if count_filter is not None and self.calls is not None:
            self.calls.append(("count", -1, True))
        return super().count(collection_name, count_filter, *args, **kwargs)

    def take(self) -> list[tuple[str, int, bool]]:
        calls, self.calls = self.calls, []
        return calls


def page(sections: int) -> bytes:
    body = "".join(
        f"<h2>Abschnitt {n}</h2><p>{'Die Geschäftsstelle hat montags geöffnet. ' * 30}</p>"
        for n in range(sections)
    )
    return f"<html><head><title>T</title></head><body><h1>T</h1>{body}</body></html>".encode()


class Pages:
    """The page store as ingest_document reads it: one body per URL."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def load_body(self, url: str) -> bytes | None:
        return self.bodies.get(url)


@pytest.fixture
def stores(monkeypatch, tmp_path):
    config = RagConfig(vector_store=VectorStoreConfig(url="", path=":memory:"))
    client = RecordingClient()
    collection = collection_for(config)
    ensure_collection(client, collection)
    encoder = SparseEncoder()
    client.calls = None  # filling is not what is measured
    for n in range(FILLER_DOCUMENTS):
        texts = [f"Seite {n} Teil {i} Vereinsheim Satzung Mitglied {n * i}" for i in range(6)]
        chunks = [
            Chunk(f"https://x/{n}", "F", (), t, "de", position=i) for i, t in enumerate(texts)
        ]
        vectors = [ChunkVectors(encoder.encode_document(t)) for t in texts]
        upsert_document_chunks(client, collection, f"fill-{n}", chunks, vectors, stale_slots=0)
    client.calls = []
    pages = Pages()
    monkeypatch.setattr(indexing, "vector_client", lambda: client)
    monkeypatch.setattr(indexing, "rag_config", lambda: config)
    monkeypatch.setattr(indexing, "page_store", lambda: pages)
    monkeypatch.setattr(indexing, "dense_embedder", lambda: None)
    yield client, collection, pages
    client.close()


def document_points(client, collection: str, doc: Document, up_to: int = 50) -> int:
    ids = [point_id(str(doc.pk), n) for n in range(up_to)]
    return len(LocalQdrantClient.retrieve(client, collection, ids, with_payload=False))


def make_document(pages: Pages, sections: int) -> Document:
    source = Source.objects.create(name="S", start_urls="https://verein.example/")
    doc = Document.objects.create(
        source=source, url="https://verein.example/a", content_type="text/html"
    )
    pages.bodies[doc.url] = page(sections)
    return doc


def assert_no_scan(calls, most_points: int) -> None:
    scans = [call for call in calls if call[2]]
    assert not scans, f"a per-document operation selected by filter (scans local mode): {scans}"
    touched = sum(size for _, size, _ in calls)
    assert touched <= most_points, f"{touched} points touched for one document: {calls}"


def test_ingest_and_reingest_touch_only_the_documents_points(stores):
    client, collection, pages = stores
    doc = make_document(pages, sections=6)

    assert indexing.ingest_document(doc.pk) == Document.Status.INDEXED
    doc.refresh_from_db()
    first = doc.chunk_count
    assert first >= 4 and doc.chunk_slots == first
    assert_no_scan(client.take(), most_points=first)

    pages.bodies[doc.url] = page(sections=2)  # a shorter version: leftovers to delete
    indexing.ingest_document(doc.pk)
    doc.refresh_from_db()
    assert doc.chunk_count < first and doc.chunk_slots == doc.chunk_count
    assert_no_scan(client.take(), most_points=first + doc.chunk_count)
    assert document_points(client, collection, doc) == doc.chunk_count
    assert client.count(collection).count == FILLER_DOCUMENTS * 6 + doc.chunk_count


def test_a_gone_document_is_removed_by_its_ids(stores):
    client, collection, pages = stores
    doc = make_document(pages, sections=5)
    indexing.ingest_document(doc.pk)
    doc.refresh_from_db()
    client.take()

    Document.objects.filter(pk=doc.pk).update(status=Document.Status.GONE)
    indexing.delete_document(doc.pk)

    assert_no_scan(client.take(), most_points=doc.chunk_slots)
    assert document_points(client, collection, doc) == 0
    doc.refresh_from_db()
    assert (doc.chunk_count, doc.chunk_slots) == (0, 0)


def test_a_write_that_died_half_way_leaves_nothing_behind(stores):
    """The slots are recorded before the chunks are written: a worker killed after writing
    a longer version, before the Document was updated, leaves no chunks that the next,
    shorter version cannot find by id."""
    client, collection, pages = stores
    doc = make_document(pages, sections=2)
    indexing.ingest_document(doc.pk)
    doc.refresh_from_db()
    short = doc.chunk_count

    pages.bodies[doc.url] = page(sections=8)
    client.die_after_upsert = True
    # the store's ConnectionError arrives as Lotse's transient error: the task retries it
    with pytest.raises(VectorStoreUnavailable):
        indexing.ingest_document(doc.pk)
    client.die_after_upsert = False
    assert document_points(client, collection, doc) > short  # the long version is stored

    pages.bodies[doc.url] = page(sections=2)
    indexing.ingest_document(doc.pk)
    doc.refresh_from_db()
    assert document_points(client, collection, doc) == doc.chunk_count == short
