"""Turning start-up failures into one line an operator can act on."""

from __future__ import annotations

import sys
from collections.abc import Callable


def explain(exc: BaseException) -> str | None:
    """One line for the failures we expect from a wrong environment, or None."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import OperationalError

    from backend.ops.embedded import EmbeddedStoresLocked
    from crawler.store import PageStoreError
    from rag.errors import VectorStoreUnavailable

    if isinstance(exc, ImproperlyConfigured):
        return f"configuration error: {exc}"
    if isinstance(exc, OperationalError):
        return (
            f"cannot use the database: {exc}. Check DATABASE_URL (host, port, user, password, "
            "database name) and that the server is running."
        )
    if isinstance(exc, EmbeddedStoresLocked | PageStoreError | VectorStoreUnavailable):
        return str(exc)
    try:
        from kombu.exceptions import OperationalError as BrokerError
    except ImportError:  # pragma: no cover - kombu is a dependency
        return None
    if isinstance(exc, BrokerError):
        return f"cannot reach the task broker: {exc}. Check CELERY_BROKER_URL."
    return None


def run_with_clear_errors(command: Callable[[], None], argv: list[str]) -> None:
    try:
        command()
    except Exception as exc:
        line = explain(exc)
        if line is None or "--traceback" in argv:
            raise
        print(f"lotse: {line}", file=sys.stderr)  # noqa: T201 - the CLI's own error output
        sys.exit(2)
