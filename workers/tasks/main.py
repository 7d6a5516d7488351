"""Tasks of the ``main`` queue."""

from __future__ import annotations

from backend.ops.services import stamp_probe
from workers.app import app
from workers.dispatch import enqueue
from workers.names import Queue, Task, time_limits
from workers.tasks._base import worker_name


@app.task(name=Task.PROBE_MAIN, bind=True, **time_limits(Queue.MAIN))
def probe_main(self, probe_id: str) -> None:
    """First hop of a queue probe. Idempotent: the stamp is set once, and the next hop is
    always sent (it is idempotent too), so a rerun after a crash still completes the probe."""
    stamp_probe(probe_id, Queue.MAIN, worker_name(self))
    enqueue(Task.PROBE_CRAWLER, probe_id)
