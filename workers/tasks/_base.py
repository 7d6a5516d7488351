"""What every task shares."""

from __future__ import annotations

import socket


def worker_name(task) -> str:
    """The Celery worker's node name, or "in-process@host" under the in-process worker."""
    if task.request.is_eager or not task.request.hostname:
        return f"in-process@{socket.gethostname()}"
    return task.request.hostname
