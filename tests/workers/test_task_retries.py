"""The deletion and knowledge-entry tasks retry transient trouble with the tasks' one policy (TASK_RETRY) and fail
with the error after its last retry; anything else fails at once."""

from __future__ import annotations

import uuid

import pytest
from celery.exceptions import Retry

from crawler.store import PageStoreError
from rag.errors import VectorStoreRequestError, VectorStoreUnavailable
from workers.tasks import rag as rag_tasks
from workers.tasks._base import TASK_RETRY


def run(task, *args, retries: int) -> None:
    """``task`` as a worker runs its ``retries``-th retry (not eagerly)."""
    task.push_request(
        id=str(uuid.uuid4()), args=list(args), kwargs={}, retries=retries,
        is_eager=False, called_directly=False,
    )  # fmt: skip
    try:
        task.run(*args)
    finally:
        task.pop_request()


def failing(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


TASKS = {
    "delete_document": (rag_tasks.delete_document_task, "delete_document"),
    "delete_source": (rag_tasks.delete_source_task, "purge_source"),
    "index_entry": (rag_tasks.index_entry_task, "index_entry"),
    "delete_entry": (rag_tasks.delete_entry_task, "remove_entry_points"),
}


@pytest.mark.parametrize("name", sorted(TASKS))
@pytest.mark.parametrize("retries", [0, 3, 7])
def test_transient_trouble_is_retried_with_the_tasks_policy(monkeypatch, name, retries):
    task, target = TASKS[name]
    monkeypatch.setattr(rag_tasks, target, failing(VectorStoreUnavailable("connection refused")))
    with pytest.raises(Retry) as retry:
        run(task, 7, retries=retries)
    ceiling = min(TASK_RETRY.cap_s, TASK_RETRY.base_s * 2**retries)
    assert 0.5 * ceiling <= retry.value.when <= ceiling


@pytest.mark.parametrize("name", sorted(TASKS))
def test_after_the_last_retry_the_task_fails_with_the_error(monkeypatch, name):
    task, target = TASKS[name]
    monkeypatch.setattr(rag_tasks, target, failing(VectorStoreUnavailable("connection refused")))
    with pytest.raises(VectorStoreUnavailable):
        run(task, 7, retries=TASK_RETRY.attempts)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_a_refusal_is_not_retried(monkeypatch, name):
    task, target = TASKS[name]
    monkeypatch.setattr(rag_tasks, target, failing(VectorStoreRequestError("400 Bad Request")))
    with pytest.raises(VectorStoreRequestError):
        run(task, 7, retries=0)


def test_a_source_clean_up_retries_any_page_store_error(monkeypatch):
    monkeypatch.setattr(rag_tasks, "purge_source", failing(PageStoreError("not readable")))
    with pytest.raises(Retry):
        run(rag_tasks.delete_source_task, 7, retries=0)


def test_an_ingest_sent_again_says_so_in_the_log(monkeypatch, caplog, settings):
    """The line the killed-worker test reads to tell a retry from a redelivery."""
    settings.RAG_MAX_RETRIES = 3
    monkeypatch.setattr(rag_tasks, "ingest_document", failing(VectorStoreUnavailable("refused")))
    with caplog.at_level("WARNING", logger="workers.tasks.rag"), pytest.raises(Retry):
        run(rag_tasks.ingest_document_task, 7, retries=0)
    assert "document 7 will be indexed again (retry 1 of 3): refused" in caplog.text
