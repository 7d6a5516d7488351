"""Shared fixtures: reaching the real servers CI runs, and the embedded stores."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from backend.settings.env import running_in_ci

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# The settings read CI through the same helper: CI=1 means CI here and there.
CI = running_in_ci()

RABBITMQ_URL = os.environ.get("LOTSE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("LOTSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_tcp(name: str, host: str, port: int) -> None:
    """Skip when a server is not reachable; under CI=true that is a failure instead."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as exc:
        message = f"{name} at {host}:{port} is not reachable ({exc})"
        if CI:
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)


def require(present: object, what: str, *, hint: str = "") -> None:
    """Skip when ``what`` (a tool, a package) is missing; under CI that is a failure instead."""
    if present:
        return
    if CI:
        pytest.fail(f"{what} is missing; CI requires it{f' ({hint})' if hint else ''}")
    pytest.skip(f"{what} is not installed")


def require_shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skipped in a user's clone, required under CI=true."""
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        if CI:
            pytest.fail(f"{path} is missing; CI=true requires ../shared beside the repo")
        pytest.skip(f"{path} is not here (no ../shared in this clone)")
    return path


# Fixtures that reach a real server: a test using one is marked ``services`` (-m "not
# services" runs the rest; MariaDB is the test database itself, so it marks nothing).
SERVICE_FIXTURES = {"rabbitmq_url", "redis_url", "start_worker", "redis_available"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture
def rabbitmq_url() -> str:
    require_tcp("RabbitMQ", "127.0.0.1", 5672)
    return RABBITMQ_URL


@pytest.fixture
def redis_url() -> str:
    require_tcp("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(broker_url, queues=..., extra_env=..., purge=True) -> a running Celery
    worker process sharing the test database; stopped after the test. ``purge`` first deletes
    the queues, so the worker sees only this test's messages."""
    from tests.worker_process import WorkerProcess, purge_queues

    started: list[WorkerProcess] = []

    def start(broker_url: str, *, purge: bool = True, **kwargs) -> WorkerProcess:
        if purge:
            purge_queues(broker_url)
        worker = WorkerProcess(broker_url, tmp_path / f"worker-{len(started)}.log", **kwargs)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()


# Per-process state a test must not hand to the next one: (module, function that resets it).
# The chat keeps editors' texts for a while (a test's rolled-back texts must not reach the
# next test); a spare crawl process keeps the stderr and environment of the test that
# started it.
PROCESS_STATE = (
    ("backend.chat.services", "forget_editor_texts"),
    ("crawler.spare", "stop_warm"),
)


@pytest.fixture(autouse=True)
def _process_state_reset():
    """Resets PROCESS_STATE after each test; imports nothing (only modules already loaded)."""
    yield
    for module_name, reset in PROCESS_STATE:
        module = sys.modules.get(module_name)
        if module is not None:
            getattr(module, reset)()
