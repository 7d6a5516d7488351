"""The embedded default's worker: tasks run in threads of the current process.

Without a broker, ``workers.dispatch`` hands tasks here. Each queue gets its own thread, so a
long crawl never holds up indexing, and the task functions run exactly as under Celery (through
``Task.apply``). The ``rag`` queue gets ``INDEXING_THREADS`` threads: the embedding model's
matrix products release Python's lock, so a second thread nearly doubles what a 2-core machine
indexes (tests/bench/bench_scale.py). A Document's tasks always go to the same one of them, so
its ingest and deletion run in the order they were sent, as with one thread. Queued tasks
live in memory: a process that stops loses what was not yet run; ``manage.py serve`` sends it
again at its next start (backend.ops.recovery), and the design's idempotent tasks make a rerun
safe.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from dataclasses import dataclass, field

from workers.names import ALL_QUEUES, Queue, Task, queue_of

logger = logging.getLogger(__name__)

# Tasks whose first argument is a Document's id: one Document's tasks share a thread.
_BY_DOCUMENT = frozenset({Task.INGEST_DOCUMENT, Task.DELETE_DOCUMENT})


@dataclass
class _Thread:
    jobs: queue.Queue = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None


@dataclass
class _Lane:
    name: str
    threads: list[_Thread]

    def pick(self, task_name: str, args: tuple, kwargs: dict) -> _Thread:
        """The thread for a task: by Document for a Document's tasks, else the first."""
        if len(self.threads) > 1 and task_name in _BY_DOCUMENT:
            key = args[0] if args else kwargs.get("document_id", 0)
            if isinstance(key, int):
                return self.threads[key % len(self.threads)]
        return self.threads[0]


class InProcessWorker:
    def __init__(self, queues: tuple[str, ...] = ALL_QUEUES, *, rag_threads: int = 1):
        self._lanes = {
            name: _Lane(name, [_Thread() for _ in range(rag_threads if name == Queue.RAG else 1)])
            for name in queues
        }
        self._started = False
        self._start_lock = threading.Lock()
        self._beat_stopped = threading.Event()

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            from workers.app import TASK_MODULES

            for module in TASK_MODULES:
                importlib.import_module(module)
            for lane in self._lanes.values():
                for number, slot in enumerate(lane.threads):
                    name = f"lotse-{lane.name}" + (f"-{number + 1}" if number else "")
                    slot.thread = threading.Thread(
                        target=self._consume, args=(slot,), name=name, daemon=True
                    )
                    slot.thread.start()
            self._started = True
            logger.info(
                "in-process worker started for queues %s",
                ", ".join(f"{n} ({len(lane.threads)} threads)" for n, lane in self._lanes.items()),
            )

    def submit(
        self,
        task_name: str,
        queue_name: str,
        args: tuple,
        kwargs: dict,
        countdown: float | None = None,
    ) -> None:
        self.start()
        job = (task_name, args, kwargs)
        jobs = self._lanes[queue_name].pick(task_name, args, kwargs).jobs
        if countdown:
            timer = threading.Timer(countdown, jobs.put, args=(job,))
            timer.daemon = True
            timer.start()
        else:
            jobs.put(job)

    def start_beat(self, *, first_delay: float = 60.0) -> None:
        """Run the Celery beat schedule (workers/app.py) in a timer thread: the embedded
        default has no beat process. Each entry first fires ``first_delay`` seconds after
        start (sooner if its interval is shorter: the crawl watchdog), then at its interval."""
        from workers.app import app

        for name, entry in app.conf.beat_schedule.items():
            interval = float(entry["schedule"])
            self._schedule(name, entry["task"], interval, min(first_delay, interval))

    def stop_beat(self) -> None:
        """No further scheduled sends (a timer already waiting fires no more)."""
        self._beat_stopped.set()

    def _schedule(self, name: str, task_name: str, interval: float, delay: float) -> None:
        def fire() -> None:
            if self._beat_stopped.is_set():
                return
            self.submit(task_name, queue_of(task_name), (), {})
            self._schedule(name, task_name, interval, interval)

        timer = threading.Timer(delay, fire)
        timer.name = f"lotse-beat-{name}"
        timer.daemon = True
        timer.start()

    def alive(self) -> dict[str, bool]:
        """Per queue: whether every one of its threads runs."""
        return {
            n: all(slot.thread is not None and slot.thread.is_alive() for slot in lane.threads)
            for n, lane in self._lanes.items()
        }

    def idle(self) -> bool:
        return all(
            slot.jobs.unfinished_tasks == 0
            for lane in self._lanes.values()
            for slot in lane.threads
        )

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queue is drained (a task may enqueue further tasks)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.05)
        return self.idle()

    def _consume(self, slot: _Thread) -> None:
        from workers.app import app

        while True:
            task_name, args, kwargs = slot.jobs.get()
            failed = True
            try:
                _drop_unusable_connections()
                result = app.tasks[task_name].apply(args=args, kwargs=kwargs)
                failed = result.failed()
                if failed:
                    logger.error(
                        "task %s failed in-process: %s\n%s",
                        task_name,
                        result.result,
                        result.traceback,
                    )
            except Exception:
                logger.exception("task %s crashed in-process", task_name)
            finally:
                if failed:
                    _close_connections()
                slot.jobs.task_done()


# A thread keeps its database connection from task to task (opening and closing one per task
# was about 3 % of what indexing a small page costs on SQLite); one a failed task used, or one that stopped
# answering (a MySQL server's wait_timeout), is closed and the next query opens a new one.


def _drop_unusable_connections() -> None:
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.is_usable():
            conn.close()


def _close_connections() -> None:
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()


_worker: InProcessWorker | None = None
_worker_lock = threading.Lock()


def get_worker() -> InProcessWorker:
    global _worker
    with _worker_lock:
        if _worker is None:
            from django.conf import settings

            _worker = InProcessWorker(rag_threads=settings.INDEXING_THREADS)
        return _worker
