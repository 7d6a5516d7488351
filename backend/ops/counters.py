"""Atomic fixed-window counters: the one thing every rate limit and lockout counts with.

With ``REDIS_URL`` a counter is a Redis key, incremented and given its expiry in one
``MULTI``/``EXEC`` round trip (``INCR`` + ``EXPIRE``), so every web process sees the same
count and concurrent requests can never both read the old value. Without Redis (the embedded
default, one process) a dictionary behind a lock does the same within the process.

Django's cache API is not used on purpose: its ``add``/``incr`` pair is two round trips (and
``BaseCache.incr`` is get-then-set), and reaching the Redis client behind it would mean using
its private attributes.

Time comes from :func:`now`, which tests replace: no test depends on a real minute boundary.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "lotse:count:"
# A Redis that does not answer within this many seconds counts as down (the chat must not
# hang behind its rate limit; a stopped Redis refuses at once anyway).
REDIS_TIMEOUT_S = 2.0
# Connections per event loop (one uvicorn process), and how long a request waits for one.
ASYNC_POOL_SIZE = 16
POOL_WAIT_S = 2.0


def now() -> float:
    """The current time in seconds; the one clock of every counter (tests replace it)."""
    return time.time()


class CounterUnavailable(Exception):
    """The counter store (Redis) could not be reached; the caller decides open or closed."""


@dataclass(frozen=True)
class Count:
    """A counter's value after this hit, and the seconds until its window ends."""

    value: int
    reset_in: int


def _window(window_s: int, at: float) -> tuple[int, int]:
    number = int(at // window_s)
    reset_in = max(1, int((number + 1) * window_s - at))
    return number, reset_in


# --- local (one process) ---------------------------------------------------------------------


class LocalCounters:
    """Counters in this process's memory, every read-modify-write under one lock."""

    MAX_KEYS = 100_000  # expired keys are swept once this many exist

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, ttl_s: int, at: float, amount: int = 1) -> int:
        with self._lock:
            value, expires = self._values.get(key, (0, 0.0))
            if expires <= at:
                value = 0
                if len(self._values) >= self.MAX_KEYS:
                    self._sweep(at)
            value += amount
            self._values[key] = (value, at + ttl_s)
            return value

    def get(self, key: str, at: float) -> int:
        with self._lock:
            value, expires = self._values.get(key, (0, 0.0))
            return value if expires > at else 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def _sweep(self, at: float) -> None:
        for key in [k for k, (_, expires) in self._values.items() if expires <= at]:
            del self._values[key]


local_counters = LocalCounters()


# --- Redis -----------------------------------------------------------------------------------

_sync_clients: dict[str, object] = {}
# asyncio clients belong to the event loop that made them: one per loop and URL, dropped with
# the loop (tests run one loop per call, uvicorn one per process).
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis_kwargs() -> dict:
    return {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}


def _sync_redis(url: str):
    client = _sync_clients.get(url)
    if client is None:
        import redis

        client = _sync_clients[url] = redis.Redis.from_url(url, **_redis_kwargs())
    return client


def _async_redis(url: str):
    per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(url)
    if client is None:
        import redis.asyncio

        # A burst of visitors waits a moment for one of the connections instead of failing
        # (the default pool refuses the 101st concurrent request outright).
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=ASYNC_POOL_SIZE, timeout=POOL_WAIT_S, **_redis_kwargs()
        )
        client = per_loop[url] = redis.asyncio.Redis(connection_pool=pool)
    return client


def _full_key(key: str, window: int) -> str:
    return f"{KEY_PREFIX}{key}:{window}"


# --- the API ---------------------------------------------------------------------------------


def hit(key: str, window_s: int, *, amount: int = 1) -> Count:
    """Add ``amount`` to ``key``'s counter of the current window; its new value.

    Raises :class:`CounterUnavailable` when Redis is configured but does not answer.
    """
    at = now()
    window, reset_in = _window(window_s, at)
    full_key = _full_key(key, window)
    # twice the window: the key outlives its window a little, never a window of its own
    ttl = window_s * 2
    if not settings.REDIS_URL:
        return Count(local_counters.incr(full_key, ttl, at, amount), reset_in)
    try:
        pipe = _sync_redis(settings.REDIS_URL).pipeline(transaction=True)
        pipe.incrby(full_key, amount)
        pipe.expire(full_key, ttl)
        value, _ = pipe.execute()
    except Exception as exc:
        raise CounterUnavailable(str(exc)) from exc
    return Count(int(value), reset_in)


async def ahit(key: str, window_s: int, *, amount: int = 1) -> Count:
    """:func:`hit` for async code: the same counter, without blocking the event loop."""
    if not settings.REDIS_URL:
        return hit(key, window_s, amount=amount)  # a dict and a lock: microseconds
    at = now()
    window, reset_in = _window(window_s, at)
    full_key = _full_key(key, window)
    try:
        async with _async_redis(settings.REDIS_URL).pipeline(transaction=True) as pipe:
            pipe.incrby(full_key, amount)
            pipe.expire(full_key, window_s * 2)
            value, _ = await pipe.execute()
    except Exception as exc:
        raise CounterUnavailable(str(exc)) from exc
    return Count(int(value), reset_in)


def peek(key: str, window_s: int) -> Count:
    """The current window's value of ``key`` without counting (0 when unset)."""
    at = now()
    window, reset_in = _window(window_s, at)
    full_key = _full_key(key, window)
    if not settings.REDIS_URL:
        return Count(local_counters.get(full_key, at), reset_in)
    try:
        value = _sync_redis(settings.REDIS_URL).get(full_key)
    except Exception as exc:
        raise CounterUnavailable(str(exc)) from exc
    return Count(int(value or 0), reset_in)


def reset(key: str, window_s: int) -> None:
    """Forget ``key``'s count in the current window (e.g. after a successful sign-in)."""
    window, _ = _window(window_s, now())
    full_key = _full_key(key, window)
    if not settings.REDIS_URL:
        local_counters.delete(full_key)
        return
    try:
        _sync_redis(settings.REDIS_URL).delete(full_key)
    except Exception as exc:
        raise CounterUnavailable(str(exc)) from exc
