"""Readiness checks: each reaches one dependency and is bounded in time.

The checks run in parallel threads and are abandoned after ``HEALTH_CHECK_TIMEOUT`` seconds,
so ``/readyz`` answers (503 with the failing check) even when a server hangs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from backend import wiring
from backend.ops import stores


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    detail: str = ""

    def as_dict(self) -> dict:
        return {"ok": self.ok, "latency_ms": round(self.latency_ms, 1), "detail": self.detail}


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this runs in a pool thread: do not leave its connection behind
    return connection.vendor


def check_broker() -> str:
    if settings.TASKS_EMBEDDED:
        from workers.inprocess import get_worker

        lanes = get_worker().alive()
        dead = [name for name, alive in lanes.items() if not alive]
        if dead:
            raise RuntimeError(f"in-process worker not running for queues: {', '.join(dead)}")
        return "in-process worker"
    from kombu import Connection

    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=settings.HEALTH_CHECK_TIMEOUT
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else "broker"


def check_redis() -> str:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.HEALTH_CHECK_TIMEOUT,
        socket_connect_timeout=settings.HEALTH_CHECK_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


def check_page_store() -> str:
    store = stores.page_store()
    store.ping()
    return "embedded" if store.embedded else "mongodb"


def check_vector_store() -> str:
    from rag.store import ping

    ping(stores.vector_client())
    return "local" if wiring.vector_store_config().local else "server"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "page_store": check_page_store,
    "vector_store": check_vector_store,
}


def active_checks() -> dict[str, Callable[[], str]]:
    checks = dict(CHECKS)
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    return checks


_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lotse-health")


def _timed(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
        return CheckResult(name, True, (time.perf_counter() - started) * 1000, detail)
    except Exception as exc:  # a check reports any failure as "not ready", never raises
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CheckResult(name, False, (time.perf_counter() - started) * 1000, message[:300])


def run_checks(timeout: float | None = None) -> list[CheckResult]:
    timeout = settings.HEALTH_CHECK_TIMEOUT if timeout is None else timeout
    futures = {name: _pool.submit(_timed, name, check) for name, check in active_checks().items()}
    wait(futures.values(), timeout=timeout + 0.5)
    results = []
    for name, future in futures.items():
        if future.done():
            results.append(future.result())
        else:
            results.append(
                CheckResult(name, False, timeout * 1000, f"no answer within {timeout:g}s")
            )
    return results
