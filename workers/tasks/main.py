"""Tasks of the ``main`` queue."""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings

from backend.chat.services import delete_old_conversations
from backend.documents.cleanup import prune_index
from backend.handoff.outbound import DeliveryError
from backend.handoff.services import deliver_handoff, give_up_delivery
from backend.ops.services import stamp_probe
from backend.sources.services import end_dead_runs, start_due_crawls
from workers.app import app
from workers.dispatch import enqueue
from workers.names import MAINTENANCE_TIME_LIMITS, Queue, Task, time_limits
from workers.tasks._base import TASK_RETRY, retry_later, worker_name


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


@app.task(
    name=Task.DELIVER_HANDOFF,
    bind=True,
    max_retries=TASK_RETRY.attempts,
    **time_limits(Queue.MAIN),
)
def deliver_handoff_task(self, handoff_id: int, retry: int = 0) -> None:
    """Send a hand-off's ticket by the delivery the admin chose.

    Idempotent: only a hand-off still "requested" is sent, so a rerun after success does
    nothing (a worker killed between the other side's answer and our commit sends it twice;
    the webhook's X-Lotse-Handoff header lets a receiver notice). A transient failure is
    retried with the tasks' backoff (``TASK_RETRY``, HANDOFF_DELIVERY_RETRIES times, waiting at
    least what a Retry-After asks, never past the cap), then the
    ticket is shown as failed; a refusal (bad token, 4xx, no URL) fails at once. In-process
    (no broker) Celery would retry at once, so the retry is enqueued with the policy's wait and
    its number instead."""
    retry = max(retry, self.request.retries)
    try:
        deliver_handoff(handoff_id)
    except DeliveryError as exc:
        policy = replace(TASK_RETRY, attempts=settings.HANDOFF_DELIVERY_RETRIES)
        if not exc.transient or not policy.allows(retry + 1):
            give_up_delivery(handoff_id, f"Gave up after {retry + 1} tries: {exc}")
            return
        if self.request.is_eager:
            wait = policy.delay(retry + 1, exc.retry_after)
            enqueue(Task.DELIVER_HANDOFF, handoff_id, retry + 1, countdown=wait)
            return
        retry_later(self, exc, policy, exc.retry_after)
