"""The embedded default's one-process rule.

Qdrant local mode lets only one process open ``var/qdrant``. The process that uses the embedded
stores takes an exclusive lock on ``var/embedded.lock`` and writes its pid there, so a second
process (a management command while ``make run`` serves) gets a clear sentence instead of a
storage error deep inside a library.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from django.conf import settings


class EmbeddedStoresLocked(RuntimeError):
    """Another Lotse process holds the embedded stores."""


_held: dict[str, object] = {}


def lock_path() -> Path:
    return Path(settings.VAR_DIR) / "embedded.lock"


def acquire_embedded_stores() -> None:
    """Take the lock for this process (again is a no-op) or raise EmbeddedStoresLocked."""
    path = lock_path()
    if str(path) in _held:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise EmbeddedStoresLocked(
            f"The embedded stores in {path.parent} are in use by another Lotse process "
            f"(pid {holder}, usually `make run`). Stop it first, or use the running server "
            "(admin or API) instead of this command."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held[str(path)] = handle


def release_embedded_stores() -> None:
    handle = _held.pop(str(lock_path()), None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
