"""The embedded default's worker: tasks run in threads of the current process.

Without a broker, ``workers.dispatch`` hands tasks here. Each queue gets its own thread, so a
long crawl never holds up indexing, and the task functions run exactly as under Celery (through
``Task.apply``). Queued tasks live in memory: a process that stops loses what was not yet run;
``manage.py serve`` sends it again at its next start (backend.ops.recovery), and the design's
idempotent tasks make a rerun safe.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from dataclasses import dataclass, field

from workers.names import ALL_QUEUES, queue_of

logger = logging.getLogger(__name__)


@dataclass
class _Lane:
    name: str
    jobs: queue.Queue = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None
    busy: bool = False


class InProcessWorker:
    def __init__(self, queues: tuple[str, ...] = ALL_QUEUES):
        self._lanes = {name: _Lane(name) for name in queues}
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
                lane.thread = threading.Thread(
                    target=self._consume, args=(lane,), name=f"lotse-{lane.name}", daemon=True
                )
                lane.thread.start()
            self._started = True
            logger.info("in-process worker started for queues %s", ", ".join(self._lanes))

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
        if countdown:
            timer = threading.Timer(countdown, self._lanes[queue_name].jobs.put, args=(job,))
            timer.daemon = True
            timer.start()
        else:
            self._lanes[queue_name].jobs.put(job)

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
        return {n: bool(lane.thread and lane.thread.is_alive()) for n, lane in self._lanes.items()}

    def idle(self) -> bool:
        return all(lane.jobs.unfinished_tasks == 0 for lane in self._lanes.values())

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queue is drained (a task may enqueue further tasks)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.05)
        return self.idle()

    def _consume(self, lane: _Lane) -> None:
        from django.db import close_old_connections

        from workers.app import app

        while True:
            task_name, args, kwargs = lane.jobs.get()
            try:
                close_old_connections()
                result = app.tasks[task_name].apply(args=args, kwargs=kwargs)
                if result.failed():
                    logger.error(
                        "task %s failed in-process: %s\n%s",
                        task_name,
                        result.result,
                        result.traceback,
                    )
            except Exception:
                logger.exception("task %s crashed in-process", task_name)
            finally:
                close_old_connections()
                lane.jobs.task_done()


_worker: InProcessWorker | None = None
_worker_lock = threading.Lock()


def get_worker() -> InProcessWorker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = InProcessWorker()
        return _worker
