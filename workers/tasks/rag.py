"""Tasks of the ``rag`` queue."""

from __future__ import annotations

from backend.ops.services import stamp_probe
from workers.app import app
from workers.names import Queue, Task, time_limits
from workers.tasks._base import worker_name


@app.task(name=Task.PROBE_RAG, bind=True, **time_limits(Queue.RAG))
def probe_rag(self, probe_id: str) -> None:
    """Last hop of a queue probe: the stamp is set once, a rerun changes nothing."""
    stamp_probe(probe_id, Queue.RAG, worker_name(self))
