"""A real Celery worker process on a real broker, sharing the test database.

The ``start_worker`` fixture (tests/conftest.py) starts them.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from tests.helpers import REPO, clean_env, stop_process


def database_url_for_subprocess() -> str:
    """DATABASE_URL for a subprocess that must see the rows of the current test database."""
    settings = connection.settings_dict
    if connection.vendor == "mysql":
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return (
            f"mysql://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 3306}/{settings['NAME']}"
        )
    return f"sqlite:///{settings['NAME']}"


def purge_queues(broker_url: str) -> None:
    """Delete Lotse's queues (messages and bindings left by earlier runs); workers redeclare."""
    from kombu import Connection

    from workers.app import app
    from workers.names import ALL_QUEUES

    with Connection(broker_url, connect_timeout=5) as conn:
        channel = conn.default_channel
        for name in ALL_QUEUES:
            queue = app.amqp.queues[name](channel)
            queue.declare()
            queue.delete()


class WorkerProcess:
    def __init__(
        self,
        broker_url: str,
        log_path: Path,
        *,
        queues: str = "main,crawler,rag",
        extra_env: dict[str, str] | None = None,
        pool: str = "solo",
        extra_args: tuple[str, ...] = (),
    ):
        self.broker_url = broker_url
        self.log_path = log_path
        self.queues = queues
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.env = clean_env(
            DJANGO_SETTINGS_MODULE="backend.settings.test",
            DATABASE_URL=database_url_for_subprocess(),
            CELERY_BROKER_URL=broker_url,
            **(extra_env or {}),
        )
        self.pool = pool
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self._log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.app",
                "worker",
                "-Q",
                self.queues,
                "-n",
                self.name,
                "--pool",
                self.pool,
                *(["--concurrency", "1"] if self.pool == "prefork" else []),
                *self.extra_args,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready within {timeout}s:\n{self.log()}")

    def pool_children(self) -> list[int]:
        """Pids of the prefork pool's processes (the ones that run tasks)."""
        from pathlib import Path

        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()
