"""A rag worker SIGKILLed in the middle of a task loses nothing and does nothing twice.

Point ids are deterministic, so duplicate points are impossible by construction; what a kill
can break is elsewhere: a task never run again (a document left pending), or run again after
its work was done (two executions, rows or counters written twice). So this counts the
executions of the ingest (the worker's "document N indexed" lines), the Document rows and
their chunk counters against the points, and checks that the task in flight was delivered
again. Once with the solo pool (the worker process dies, another one takes over) and once
with prefork, as production runs it (the pool process executing the task dies; the worker
replaces it and gets the message back).
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter

import pytest

from backend.documents.models import Document
from backend.sources.models import Source
from crawler.store import PageStoreConfig, open_page_store
from rag.config import RagConfig, VectorStoreConfig
from rag.ingest import collection_for
from rag.store.points import document_chunks
from tests.helpers import run_manage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

DOCUMENTS = 16
INGEST = "lotse.rag.ingest_document"
RECEIVED = re.compile(rf"Task {INGEST}\[([0-9a-f-]+)\] received")
SUCCEEDED = re.compile(rf"Task {INGEST}\[([0-9a-f-]+)\] succeeded")
INDEXED = re.compile(r"backend\.documents\.indexing document (\d+) indexed: (\d+) chunks")


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
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def in_flight(log: str) -> set[str]:
    """Ingest tasks the worker received and has not finished."""
    return set(RECEIVED.findall(log)) - set(SUCCEEDED.findall(log))


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_sigkill_mid_task_then_every_document_is_indexed_exactly_once(
    pool, rabbitmq_url, start_worker, tmp_path
):
    worker_var = tmp_path / "worker-var"
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    store = open_page_store(
        PageStoreConfig(url="", database="lotse", path=str(worker_var / "pagestore"))
    )
    for number in range(DOCUMENTS):
        url = f"https://verein.example/seite-{number}"
        store.record_fetch(
            url, source_id=str(source.pk), status=200, body=long_page(number),
            content_type="text/html",
        )  # fmt: skip
        Document.objects.create(
            source=source, url=url, content_type="text/html", status=Document.Status.INDEXED
        )
    store.close()

    env = {"LOTSE_VAR_DIR": str(worker_var)}
    first = start_worker(rabbitmq_url, queues="rag", extra_env=env, pool=pool)
    queued = run_manage("reindex", "--source", str(source.pk), "--json", env=first.env)
    assert queued.returncode == 0, queued.stderr

    indexed = Document.objects.filter(source=source, status=Document.Status.INDEXED)
    wait_for(lambda: indexed.count() >= 3 and in_flight(first.log()), 180, "a task in the middle")
    killed_task = sorted(in_flight(first.log()))[0]
    if pool == "solo":
        first.process.kill()  # SIGKILL: no goodbye, the running task's message is unacked
        first.process.wait()
    else:
        (child,) = first.pool_children()
        os.kill(child, signal.SIGKILL)  # the pool process executing the task
    log_at_kill = first.log()
    killed_at = indexed.count()
    assert killed_at < DOCUMENTS, "the batch finished before the kill: make pages bigger"

    workers = [first]
    if pool == "solo":
        workers.append(start_worker(rabbitmq_url, queues="rag", extra_env=env, purge=False))
    wait_for(lambda: indexed.count() == DOCUMENTS, 420, "every document to be indexed")
    for worker in workers:
        worker.stop()  # releases Qdrant's local folder for this process
    log = "".join(worker.log() for worker in workers)

    # Executions: every document's ingest completed; only the task in flight at the kill may
    # have completed twice (killed after its work, before its acknowledgement).
    executions = Counter(int(doc_id) for doc_id, _ in INDEXED.findall(log))
    ids = set(Document.objects.filter(source=source).values_list("pk", flat=True))
    assert set(executions) == ids
    assert sum(executions.values()) - DOCUMENTS <= 1, executions
    if killed_task not in SUCCEEDED.findall(log_at_kill):
        # The kill landed mid-task (it all but always does): the message came back, ran again.
        assert RECEIVED.findall(log).count(killed_task) == 2, killed_task
    if pool == "prefork":
        assert "signal 9 (SIGKILL)" in log

    # Side effects: one row per page, its counters matching what the index holds.
    assert Document.objects.filter(source=source).count() == DOCUMENTS
    from qdrant_client import QdrantClient

    client = QdrantClient(path=str(worker_var / "qdrant"))
    try:
        collection = collection_for(RagConfig(vector_store=VectorStoreConfig(url="", path="")))
        expected = 0
        for doc in Document.objects.filter(source=source):
            positions = [
                chunk["chunk_index"] for chunk in document_chunks(client, collection, str(doc.pk))
            ]
            assert doc.chunk_count > 0 and doc.last_indexed_at is not None
            assert positions == list(range(doc.chunk_count)), doc.url
            expected += doc.chunk_count
        assert client.count(collection, exact=True).count == expected
    finally:
        client.close()
