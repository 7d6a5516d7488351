"""The one way Lotse enqueues work: by task name, to the task's queue, with an expiry.

``backend`` may import this module (and nothing else of ``workers``). It never imports task
code: with a broker a message is sent by name; without one (the embedded default) the
in-process worker runs it.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import transaction

from workers.names import queue_of


def enqueue(
    task_name: str, *args, countdown: float | None = None, expires: float | None = None, **kwargs
) -> None:
    queue = queue_of(task_name)
    if settings.TASKS_EMBEDDED:
        from workers.inprocess import get_worker

        get_worker().submit(task_name, queue, args, kwargs, countdown=countdown)
        return
    from workers.app import app

    app.send_task(
        task_name,
        args=args,
        kwargs=kwargs,
        queue=queue,
        countdown=countdown,
        expires=expires if expires is not None else settings.TASK_EXPIRES,
    )


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Enqueue once the current transaction commits, so the worker sees the rows it needs."""
    queue_of(task_name)  # fail now, inside the transaction, on a wrong name
    transaction.on_commit(partial(enqueue, task_name, *args, **kwargs))
