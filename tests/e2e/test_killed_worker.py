"""A rag worker SIGKILLed in the middle of a batch loses nothing and duplicates nothing."""

from __future__ import annotations

import time

import pytest

from backend.documents.models import Document
from backend.sources.models import Source
from crawler.store import PageStoreConfig, open_page_store
from rag.config import RagConfig, VectorStoreConfig
from rag.ingest import collection_for
from rag.store.points import document_chunks
from tests.helpers import run_manage

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTS = 16


def long_page(number: int) -> bytes:
    """A page big enough that parsing it takes a noticeable moment (so the kill lands mid-task)."""
    sections = "".join(
        f"<h2>Abschnitt {number}.{part}</h2>"
        + f"<p>Der Verein bietet im Bereich {number}.{part} viele Kurse an. " * 40
        + "</p>"
        for part in range(30)
    )
    html = f"<html><head><title>Seite {number}</title></head><body><main>{sections}</main></body></html>"
    return html.encode()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_mid_batch_then_restart_indexes_everything_once(
    rabbitmq_url, start_worker, tmp_path
):
    worker_var = tmp_path / "worker-var"
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    store = open_page_store(
        PageStoreConfig(url="", database="lotse", path=str(worker_var / "pagestore"))
    )
    for number in range(DOCUMENTS):
        url = f"https://verein.example/seite-{number}"
        body = long_page(number)
        store.record_fetch(
            url, source_id=str(source.pk), status=200, body=body, content_type="text/html"
        )
        Document.objects.create(
            source=source, url=url, content_type="text/html", status=Document.Status.INDEXED
        )
    store.close()

    env = {"LOTSE_VAR_DIR": str(worker_var)}
    first = start_worker(rabbitmq_url, queues="rag", extra_env=env)
    queued = run_manage("reindex", "--source", str(source.pk), "--json", env=first.env)
    assert queued.returncode == 0, queued.stderr

    indexed = Document.objects.filter(source=source, status=Document.Status.INDEXED)
    wait_for(lambda: indexed.count() >= 3, 120, "the first documents to be indexed")
    first.process.kill()  # SIGKILL: no goodbye, the running task's message is unacknowledged
    first.process.wait()
    killed_at = indexed.count()
    assert killed_at < DOCUMENTS, "the batch finished before the kill: make pages bigger"

    second = start_worker(rabbitmq_url, queues="rag", extra_env=env, purge=False)
    wait_for(lambda: indexed.count() == DOCUMENTS, 300, "every document to be indexed")
    second.stop()  # releases Qdrant's local folder for this process

    from rag.store.local_client import LocalQdrantClient

    client = LocalQdrantClient(path=str(worker_var / "qdrant"))
    try:
        collection = collection_for(RagConfig(vector_store=VectorStoreConfig(url="", path="")))
        total = client.count(collection, exact=True).count
        expected = 0
        for doc in Document.objects.filter(source=source):
            chunks = document_chunks(client, collection, str(doc.pk))
            positions = [chunk["chunk_index"] for chunk in chunks]
            assert positions == list(range(doc.chunk_count)), doc.url  # none missing, none twice
            assert doc.chunk_count > 0
            expected += doc.chunk_count
        assert total == expected
    finally:
        client.close()
