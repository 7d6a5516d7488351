"""The Celery app and its one base configuration.

Start a worker per queue, e.g.::

    celery -A workers.app worker -Q main --beat --concurrency 2
    celery -A workers.app worker -Q crawler --concurrency 2
    celery -A workers.app worker -Q rag --concurrency 4
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange
from kombu import Queue as KombuQueue

from workers.names import (
    ALL_QUEUES,
    DAILY_S,
    QUEUE_TIME_LIMITS,
    SCHEDULE_INTERVAL_S,
    TASK_QUEUES,
    Queue,
    Task,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.dev")

TASK_MODULES = ("workers.tasks.main", "workers.tasks.crawler", "workers.tasks.rag")

app = Celery("lotse")


def base_config() -> dict:
    """Read lazily, once Django settings are importable."""
    from django.conf import settings

    longest_task = max(hard for _soft, hard in QUEUE_TIME_LIMITS.values())
    return {
        # No broker configured: nothing is ever sent (tasks run in-process), but Celery wants
        # a transport name, and the in-memory one never tries to reach a server.
        "broker_url": settings.CELERY_BROKER_URL or "memory://",
        "result_backend": settings.CELERY_RESULT_BACKEND,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5,
        # A killed worker loses nothing: messages are acknowledged after the task ran, and a
        # task whose worker died goes back to the queue.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Redis redelivers unacknowledged messages after this: longer than any task may run.
        "broker_transport_options": {"visibility_timeout": longest_task + 600},
        # Each queue its own direct exchange and routing key, so the bindings operators see in
        # RabbitMQ name the queue they feed (tests/workers: a message reaches only its queue).
        "task_queues": [
            KombuQueue(name, Exchange(name, type="direct"), routing_key=name, durable=True)
            for name in ALL_QUEUES
        ],
        "task_default_exchange": Queue.MAIN,
        "task_default_routing_key": Queue.MAIN,
        "task_default_queue": Queue.MAIN,
        "task_routes": {name: {"queue": queue} for name, queue in TASK_QUEUES.items()},
        "task_ignore_result": True,  # results live in the database rows the tasks change
        "task_serializer": "json",
        "accept_content": ["json"],
        "imports": TASK_MODULES,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "start-due-crawls": {
                "task": Task.SCHEDULE_CRAWLS,
                "schedule": SCHEDULE_INTERVAL_S,
                "options": {"queue": Queue.MAIN, "expires": SCHEDULE_INTERVAL_S - 30},
            },
            "delete-old-chats": {
                "task": Task.DELETE_OLD_CHATS,
                "schedule": DAILY_S,
                "options": {"queue": Queue.MAIN, "expires": 3600},
            },
            # Ends crawls whose worker died (no heartbeat), within minutes.
            "watch-crawls": {
                "task": Task.WATCH_CRAWLS,
                "schedule": settings.CRAWLER_WATCHDOG_INTERVAL,
                "options": {"queue": Queue.MAIN, "expires": settings.CRAWLER_WATCHDOG_INTERVAL},
            },
            # Removes what lost clean-up tasks left in the index (prune_index).
            "daily-maintenance": {
                "task": Task.DAILY_MAINTENANCE,
                "schedule": DAILY_S,
                "options": {"queue": Queue.MAIN, "expires": 3600},
            },
        },
        "timezone": settings.TIME_ZONE,
    }


app.add_defaults(base_config)
