"""Tasks of the ``main`` queue."""

from __future__ import annotations

from backend.chat.services import delete_old_conversations
from backend.documents.cleanup import prune_index
from backend.ops.services import stamp_probe
from backend.sources.services import end_dead_runs, start_due_crawls
from workers.app import app
from workers.dispatch import enqueue
from workers.names import MAINTENANCE_TIME_LIMITS, Queue, Task, time_limits
from workers.tasks._base import worker_name


@app.task(name=Task.PROBE_MAIN, bind=True, **time_limits(Queue.MAIN))
def probe_main(self, probe_id: str) -> None:
    """First hop of a queue probe. Idempotent: the stamp is set once, and the next hop is
    always sent (it is idempotent too), so a rerun after a crash still completes the probe."""
    stamp_probe(probe_id, Queue.MAIN, worker_name(self))
    enqueue(Task.PROBE_CRAWLER, probe_id)


@app.task(name=Task.SCHEDULE_CRAWLS, **time_limits(Queue.MAIN))
def schedule_crawls() -> int:
    """Start the crawls whose schedule is due.

    Idempotent: a source with an active run is not started again, and a second tick finds
    nothing due."""
    return start_due_crawls()


@app.task(name=Task.WATCH_CRAWLS, **time_limits(Queue.MAIN))
def watch_crawls() -> int:
    """The crawl watchdog: end runs whose worker died (no heartbeat for
    CRAWLER_WATCHDOG_TIMEOUT seconds) or whose task was lost, so the source can be crawled
    again. Idempotent: an ended run is not touched again."""
    return end_dead_runs()


@app.task(name=Task.DAILY_MAINTENANCE, **MAINTENANCE_TIME_LIMITS)
def daily_maintenance() -> dict:
    """Remove what lost clean-up tasks left behind: chunks of deleted or gone documents and
    page-store pages of deleted sources (``manage.py prune_index``). Idempotent: a second run
    finds nothing to remove."""
    return prune_index().as_dict()


@app.task(name=Task.DELETE_OLD_CHATS, **time_limits(Queue.MAIN))
def delete_old_chats() -> int:
    """Delete conversations older than CHAT_RETENTION_DAYS. Idempotent: a second run finds
    nothing old enough."""
    return delete_old_conversations()
