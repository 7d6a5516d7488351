"""Tasks of the ``rag`` queue."""

from __future__ import annotations

import logging
from dataclasses import replace

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from backend.documents.cleanup import purge_source
from backend.documents.indexing import (
    TRANSIENT_ERRORS,
    delete_document,
    give_up,
    ingest_document,
)
from backend.evaluation.services import execute_run, fail_run
from backend.knowledge.indexing import index_entry, remove_entry_points
from backend.ops.services import stamp_probe
from backend.uploads.indexing import index_upload, remove_upload
from crawler.store import PageStoreError
from workers.app import app
from workers.names import Queue, Task, time_limits
from workers.tasks._base import TASK_RETRY, retry_later, worker_name

logger = logging.getLogger(__name__)


@app.task(name=Task.PROBE_RAG, bind=True, **time_limits(Queue.RAG))
def probe_rag(self, probe_id: str) -> None:
    """Last hop of a queue probe: the stamp is set once, a rerun changes nothing."""
    stamp_probe(probe_id, Queue.RAG, worker_name(self))


@app.task(name=Task.INGEST_DOCUMENT, bind=True, **time_limits(Queue.RAG))
def ingest_document_task(self, document_id: int, content_hash: str = "") -> None:
    """Parse, chunk, embed and index one document.

    Idempotent: point ids are derived from the document and chunk position, so a rerun writes
    the same points and deletes leftovers; a task for an outdated content hash does nothing.
    Transient trouble is retried with the tasks' backoff (``TASK_RETRY``), then marked failed."""
    try:
        ingest_document(document_id, content_hash)
    except TRANSIENT_ERRORS as exc:
        retry_or_fail(self, document_id, exc)


def retry_or_fail(task, document_id: int, exc: BaseException) -> None:
    """Retry later, or (after RAG_MAX_RETRIES retries; at once in-process) give up: the
    Document fails with the last error and its old chunks are removed."""
    policy = replace(TASK_RETRY, attempts=settings.RAG_MAX_RETRIES)
    # Checked here, not left to Celery: past its max_retries retry() re-raises the error and
    # the Document would never be marked failed.
    if not policy.allows(task.request.retries + 1) or task.request.is_eager:
        give_up(document_id, f"Gave up after {task.request.retries + 1} tries: {exc}")
        return
    logger.warning(
        "document %s will be indexed again (retry %s of %s): %s",
        document_id,
        task.request.retries + 1,
        policy.attempts,
        exc,
    )
    retry_later(task, exc, policy)


@app.task(
    name=Task.DELETE_DOCUMENT, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def delete_document_task(self, document_id: int) -> None:
    """Remove a gone or deleted document's chunks from the index. Idempotent: deleting twice
    is a no-op. Qdrant away: retried with ``TASK_RETRY`` (the chat leaves deleted documents
    out meanwhile, and the daily maintenance prunes what a lost task left)."""
    try:
        delete_document(document_id)
    except TRANSIENT_ERRORS as exc:
        retry_later(self, exc)


@app.task(
    name=Task.INDEX_ENTRY, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def index_entry_task(self, entry_id: int) -> None:
    """Index an editor's knowledge entry. Idempotent: the same point ids, and an entry whose
    content is already indexed is left alone. Transient trouble: retried with ``TASK_RETRY``."""
    try:
        index_entry(entry_id)
    except TRANSIENT_ERRORS as exc:
        retry_later(self, exc)


@app.task(
    name=Task.DELETE_ENTRY, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def delete_entry_task(self, index_id: str, slots: int | None = None) -> None:
    """Remove a deleted entry's chunks (again: a no-op). Retried like delete_document."""
    try:
        remove_entry_points(index_id, slots=slots)
    except TRANSIENT_ERRORS as exc:
        retry_later(self, exc)


@app.task(
    name=Task.INDEX_UPLOAD, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def index_upload_task(self, upload_id: int, content_hash: str, force: bool = False) -> None:
    """Index one version of an uploaded file. Idempotent: the same point ids, a version the
    index holds already is left alone (unless ``force``), an outdated one skipped. Retried
    with ``TASK_RETRY``."""
    try:
        index_upload(upload_id, content_hash, force)
    except (*TRANSIENT_ERRORS, PageStoreError) as exc:
        retry_later(self, exc)


@app.task(
    name=Task.DELETE_UPLOAD, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def delete_upload_task(self, index_id: str, slots: int | None, urls: list[str]) -> None:
    """Remove a deleted upload's chunks and stored versions (again: a no-op)."""
    try:
        remove_upload(index_id, slots, urls)
    except (*TRANSIENT_ERRORS, PageStoreError) as exc:
        retry_later(self, exc)


@app.task(name=Task.EVALUATE, **time_limits(Queue.RAG))
def evaluate_task(run_id: int) -> None:
    """Run an evaluation: the test questions against the live index.

    Idempotent: only a queued run (or a running one whose worker died) is claimed, and a
    claim drops the run's earlier results, so a rerun ends exactly like a first run; a task
    for a finished run does nothing. Past the soft time limit the run ends as failed, saying
    so (a rerun would only hit the limit again)."""
    try:
        execute_run(run_id)
    except SoftTimeLimitExceeded:
        soft_limit = time_limits(Queue.RAG)["soft_time_limit"]
        fail_run(
            run_id,
            f"The run took longer than the time limit of {soft_limit} s. Evaluate fewer "
            "questions at a time, or run `manage.py evaluate`, which has no limit.",
        )


@app.task(
    name=Task.DELETE_SOURCE, bind=True, max_retries=TASK_RETRY.attempts, **time_limits(Queue.RAG)
)
def delete_source_task(self, source_id: int) -> None:
    """Remove a deleted source's chunks from the index and its pages from the page store.
    Idempotent: a second run finds nothing of the source; retried like delete_document."""
    try:
        purge_source(source_id)
    # any page-store error, as before: one that will not pass fails after the last retry
    except (*TRANSIENT_ERRORS, PageStoreError) as exc:
        retry_later(self, exc)
