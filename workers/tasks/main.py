"""Tasks of the ``main`` queue."""

from __future__ import annotations

from datetime import timedelta

from backend.chat.services import delete_old_conversations
from backend.ops.services import stamp_probe
from backend.sources.services import fail_abandoned_runs, start_due_crawls
from workers.app import app
from workers.dispatch import enqueue
from workers.names import QUEUE_TIME_LIMITS, Queue, Task, time_limits
from workers.tasks._base import worker_name


@app.task(name=Task.PROBE_MAIN, bind=True, **time_limits(Queue.MAIN))
def probe_main(self, probe_id: str) -> None:
    """First hop of a queue probe. Idempotent: the stamp is set once, and the next hop is
    always sent (it is idempotent too), so a rerun after a crash still completes the probe."""
    stamp_probe(probe_id, Queue.MAIN, worker_name(self))
    enqueue(Task.PROBE_CRAWLER, probe_id)


@app.task(name=Task.SCHEDULE_CRAWLS, **time_limits(Queue.MAIN))
def schedule_crawls() -> int:
    """Start the crawls whose schedule is due, and end runs whose task or worker was lost.

    Idempotent: a source with an active run is not started again, and a second tick finds
    nothing due."""
    hard_limit = QUEUE_TIME_LIMITS[Queue.CRAWLER][1]
    fail_abandoned_runs(
        queued_for=timedelta(hours=2), silent_for=timedelta(seconds=hard_limit + 900)
    )
    return start_due_crawls()


@app.task(name=Task.DELETE_OLD_CHATS, **time_limits(Queue.MAIN))
def delete_old_chats() -> int:
    """Delete conversations older than CHAT_RETENTION_DAYS. Idempotent: a second run finds
    nothing old enough."""
    return delete_old_conversations()
