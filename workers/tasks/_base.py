"""What every task shares: the worker's name and the one retry policy of tasks."""

from __future__ import annotations

import socket
from typing import NoReturn

from rag.retry import RetryPolicy

# Tasks wait seconds to minutes between tries (a service that is down is rarely back at once),
# never more than ten minutes, and keep at least half of each wait: the jitter spreads many
# tasks failing on one outage without retrying any of them right away.
TASK_RETRY = RetryPolicy(attempts=8, base_s=5.0, cap_s=600.0, jitter=0.5)


def worker_name(task) -> str:
    """The Celery worker's node name, or "in-process@host" under the in-process worker."""
    if task.request.is_eager or not task.request.hostname:
        return f"in-process@{socket.gethostname()}"
    return task.request.hostname


def retry_later(
    task, exc: BaseException, policy: RetryPolicy = TASK_RETRY, retry_after: float | None = None
) -> NoReturn:
    """Send ``task`` again after ``exc``, ``policy``'s wait from now (at least ``retry_after``,
    never past the cap; Celery's ``Retry`` ends this run). Past ``policy.attempts`` retries
    Celery raises ``exc`` itself: the task fails."""
    raise task.retry(
        exc=exc,
        countdown=policy.delay(task.request.retries + 1, retry_after),
        # ours, not Celery's default of 3 retries
        max_retries=policy.attempts,
    )
