"""The embedded default's worker indexes in several threads, a Document's tasks in order, and
keeps a thread's database connection from one task to the next."""

import threading
import time

import pytest
from django.db import connection

from tests.helpers import clean_env, run_python
from workers.inprocess import InProcessWorker
from workers.names import Queue, Task


@pytest.fixture
def calls(monkeypatch):
    """The rag tasks' use cases replaced by recorders: (what, document, thread) in order."""

    class Calls(list):
        gates: dict[int, threading.Event]
        holds: dict[int, float]

    seen = Calls()  # (what, document, thread) in order
    lock = threading.Lock()
    gates: dict[int, threading.Event] = {}
    holds: dict[int, float] = {}

    def record(what):
        def use_case(document_id, *args):
            with lock:
                seen.append((what + " start", document_id, threading.current_thread().name))
            if document_id in gates:  # waits until another document's task has started
                gates[document_id].wait(timeout=10)
            time.sleep(holds.get(document_id, 0))
            with lock:
                seen.append((what, document_id, threading.current_thread().name))

        return use_case

    monkeypatch.setattr("workers.tasks.rag.ingest_document", record("ingest"))
    monkeypatch.setattr("workers.tasks.rag.delete_document", record("delete"))
    seen.gates, seen.holds = gates, holds
    return seen


def test_two_documents_are_indexed_at_the_same_time(calls):
    worker = InProcessWorker(rag_threads=2)
    calls.gates[1] = gate = threading.Event()
    worker.submit(Task.INGEST_DOCUMENT, Queue.RAG, (1, "hash"), {})
    deadline = time.monotonic() + 10
    while ("ingest start", 1) not in {c[:2] for c in calls} and time.monotonic() < deadline:
        time.sleep(0.01)
    # document 1 now waits for document 2 to start: with one indexing thread it never would
    worker.submit(Task.INGEST_DOCUMENT, Queue.RAG, (2, "hash"), {})
    while ("ingest start", 2) not in {c[:2] for c in calls} and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    assert worker.wait_idle(timeout=20)
    started_2 = calls.index(next(c for c in calls if c[:2] == ("ingest start", 2)))
    finished_1 = calls.index(next(c for c in calls if c[:2] == ("ingest", 1)))
    assert started_2 < finished_1, calls
    assert {c[2] for c in calls} == {"lotse-rag", "lotse-rag-2"}
    assert worker.alive() == {"main": True, "crawler": True, "rag": True}


def test_a_documents_tasks_run_in_the_order_they_were_sent(calls):
    worker = InProcessWorker(rag_threads=3)
    calls.holds[4] = 0.3  # the first task of document 4 is slow; later ones must wait for it
    worker.submit(Task.INGEST_DOCUMENT, Queue.RAG, (4, "a"), {})
    worker.submit(Task.DELETE_DOCUMENT, Queue.RAG, (4,), {})
    worker.submit(Task.INGEST_DOCUMENT, Queue.RAG, (), {"document_id": 4, "content_hash": "b"})
    for other in (5, 6, 7):
        worker.submit(Task.INGEST_DOCUMENT, Queue.RAG, (other, "x"), {})
    assert worker.wait_idle(timeout=20)
    of_4 = [c for c in calls if c[1] == 4 and not c[0].endswith("start")]
    assert [c[0] for c in of_4] == ["ingest", "delete", "ingest"]
    assert len({c[2] for c in calls if c[1] == 4}) == 1  # one thread for one document
    assert len({c[2] for c in calls}) == 3


def test_other_queues_keep_one_thread():
    worker = InProcessWorker(rag_threads=4)
    worker.start()
    names = {t.name for t in threading.enumerate() if t.name.startswith("lotse-")}
    assert {"lotse-main", "lotse-crawler", "lotse-rag", "lotse-rag-4"} <= names
    assert "lotse-main-2" not in names and "lotse-rag-5" not in names


@pytest.mark.django_db(transaction=True)
def test_a_thread_keeps_its_connection_until_a_task_fails(monkeypatch):
    opened: list[tuple[object, bool]] = []  # the objects themselves: an id() may be reused

    def use_case(document_id, *args):
        connection.ensure_connection()
        opened.append((connection.connection, connection.is_usable()))
        if document_id == 3:
            raise RuntimeError("a bug in the task")

    monkeypatch.setattr("workers.tasks.rag.delete_document", use_case)
    worker = InProcessWorker(rag_threads=1)
    for document in (1, 2, 3, 4):
        worker.submit(Task.DELETE_DOCUMENT, Queue.RAG, (document,), {})
    assert worker.wait_idle(timeout=20)
    used = [handle for handle, usable in opened]
    assert all(usable for handle, usable in opened)
    assert used[0] is used[1] is used[2]  # reused from task to task
    assert used[3] is not used[2]  # the failed task's connection was closed, a new one opened


SHOW_THREADS = (
    "import os; os.cpu_count = lambda: int(os.environ['FAKE_CORES']); "
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.settings.dev'); "
    "import django; django.setup(); from workers.inprocess import get_worker; "
    "w = get_worker(); w.start(); import threading; "
    "print(sorted(t.name for t in threading.enumerate() if t.name.startswith('lotse-rag')))"
)


@pytest.mark.parametrize(
    ("cores", "env", "threads"),
    [("2", {}, 2), ("16", {}, 4), ("16", {"INDEXING_THREADS": "1"}, 1)],
)
def test_indexing_threads_default_to_the_cores(tmp_path, cores, env, threads):
    result = run_python(
        SHOW_THREADS, env=clean_env(LOTSE_VAR_DIR=str(tmp_path), FAKE_CORES=cores, **env)
    )
    assert result.returncode == 0, result.stderr
    assert len(eval(result.stdout)) == threads, result.stdout
