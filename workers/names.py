"""Queue and task names: constants, never raw strings at a call site."""

from __future__ import annotations


class Queue:
    MAIN = "main"  # schedules, starting crawls, fan-out, clean-up
    CRAWLER = "crawler"  # one crawl = one Scrapy child process
    RAG = "rag"  # parse, chunk, embed, index


ALL_QUEUES = (Queue.MAIN, Queue.CRAWLER, Queue.RAG)


class Task:
    PROBE_MAIN = "lotse.main.probe"
    PROBE_CRAWLER = "lotse.crawler.probe"
    PROBE_RAG = "lotse.rag.probe"
    SCHEDULE_CRAWLS = "lotse.main.schedule_crawls"
    DELETE_OLD_CHATS = "lotse.main.delete_old_chats"
    WATCH_CRAWLS = "lotse.main.watch_crawls"
    DAILY_MAINTENANCE = "lotse.main.daily_maintenance"
    CRAWL_SOURCE = "lotse.crawler.crawl_source"
    INGEST_DOCUMENT = "lotse.rag.ingest_document"
    DELETE_DOCUMENT = "lotse.rag.delete_document"
    EVALUATE = "lotse.rag.evaluate"
    DELETE_SOURCE = "lotse.rag.delete_source"
    INDEX_ENTRY = "lotse.rag.index_entry"
    DELETE_ENTRY = "lotse.rag.delete_entry"
    DELIVER_HANDOFF = "lotse.main.deliver_handoff"
    INDEX_UPLOAD = "lotse.rag.index_upload"
    DELETE_UPLOAD = "lotse.rag.delete_upload"


TASK_QUEUES: dict[str, str] = {
    Task.PROBE_MAIN: Queue.MAIN,
    Task.PROBE_CRAWLER: Queue.CRAWLER,
    Task.PROBE_RAG: Queue.RAG,
    Task.SCHEDULE_CRAWLS: Queue.MAIN,
    Task.DELETE_OLD_CHATS: Queue.MAIN,
    Task.WATCH_CRAWLS: Queue.MAIN,
    Task.DAILY_MAINTENANCE: Queue.MAIN,
    Task.CRAWL_SOURCE: Queue.CRAWLER,
    Task.INGEST_DOCUMENT: Queue.RAG,
    Task.DELETE_DOCUMENT: Queue.RAG,
    # its workers hold the embedding model, and its time limit is the longest but the crawler's
    Task.EVALUATE: Queue.RAG,
    Task.DELETE_SOURCE: Queue.RAG,
    Task.INDEX_ENTRY: Queue.RAG,
    Task.DELETE_ENTRY: Queue.RAG,
    # a few HTTP requests or one e-mail, each bounded by HANDOFF_DELIVERY_TIMEOUT
    Task.DELIVER_HANDOFF: Queue.MAIN,
    Task.INDEX_UPLOAD: Queue.RAG,
    Task.DELETE_UPLOAD: Queue.RAG,
}

# Periodic work (Celery beat on worker-main; a timer thread in the embedded default).
SCHEDULE_INTERVAL_S = 300
DAILY_S = 24 * 3600
# The daily maintenance reads every point of the index once: longer than other main tasks.
MAINTENANCE_TIME_LIMITS = {"soft_time_limit": 1800, "time_limit": 1860}

# (soft, hard) time limits in seconds for every task of a queue.
QUEUE_TIME_LIMITS: dict[str, tuple[int, int]] = {
    Queue.MAIN: (60, 120),
    Queue.CRAWLER: (4 * 3600, 4 * 3600 + 300),
    Queue.RAG: (600, 660),
}


def queue_of(task_name: str) -> str:
    try:
        return TASK_QUEUES[task_name]
    except KeyError:
        raise KeyError(f"{task_name} is not a Lotse task (see workers/names.py)") from None


def time_limits(queue: str) -> dict[str, int]:
    """Decorator arguments that bound a task of ``queue`` in time."""
    soft, hard = QUEUE_TIME_LIMITS[queue]
    return {"soft_time_limit": soft, "time_limit": hard}
