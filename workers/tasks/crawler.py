"""Tasks of the ``crawler`` queue."""

from __future__ import annotations

from backend.ops.services import stamp_probe
from backend.sources.crawling import execute_crawl
from workers.app import app
from workers.dispatch import enqueue
from workers.names import Queue, Task, time_limits
from workers.tasks._base import worker_name


@app.task(name=Task.PROBE_CRAWLER, bind=True, **time_limits(Queue.CRAWLER))
def probe_crawler(self, probe_id: str) -> None:
    """Second hop of a queue probe; idempotent like the first."""
    stamp_probe(probe_id, Queue.CRAWLER, worker_name(self))
    enqueue(Task.PROBE_RAG, probe_id)


@app.task(name=Task.CRAWL_SOURCE, **time_limits(Queue.CRAWLER))
def crawl_source(run_id: int) -> None:
    """Crawl one run's source in a Scrapy child process.

    Idempotent: a run that has ended is left alone; a redelivered run (its worker died) starts
    afresh with its counters and log reset, and the page store turns what the lost attempt
    fetched into "unchanged", so the Documents end the same."""
    execute_crawl(run_id)
