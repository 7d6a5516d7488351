"""Rate limits count atomically: in-process behind a lock, or in Redis shared by all web processes.

The clock is frozen (``backend.ops.counters.now``), so no test depends on a real minute or
on where a minute boundary falls.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid

import pytest
from django.test import override_settings

from backend.chat.throttle import RateLimited, check_rate_limits, count_new_conversation
from backend.ops import counters

T0 = 1_800_000_000.0  # a window start: 1_800_000_000 is divisible by 60


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    clock = {"now": T0 + 10}
    monkeypatch.setattr(counters, "now", lambda: clock["now"])
    return clock


def hits(client: str, conversation: str | None, times: int) -> int:
    """How many of ``times`` requests, one after the other, got through."""

    async def run() -> int:
        passed = 0
        for _ in range(times):
            try:
                await check_rate_limits(client, conversation)
                passed += 1
            except RateLimited as limited:
                assert limited.retry_after == 50  # the frozen clock is 10 s into its window
        return passed

    return asyncio.run(run())


def concurrent_hits(client: str, requests: int) -> int:
    """``requests`` checks at once in one event loop, as one uvicorn process sees them."""

    async def one() -> bool:
        try:
            await check_rate_limits(client, None)
            return True
        except RateLimited:
            return False

    async def run() -> int:
        return sum(await asyncio.gather(*(one() for _ in range(requests))))

    return asyncio.run(run())


@override_settings(CHAT_RATE_LIMIT_PER_IP=3, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_per_client_limit_in_local_memory():
    client = uuid.uuid4().hex
    assert hits(client, None, 5) == 3
    assert hits(uuid.uuid4().hex, None, 1) == 1


@override_settings(CHAT_RATE_LIMIT_PER_IP=3, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_the_next_window_starts_afresh(frozen_clock):
    client = uuid.uuid4().hex
    assert hits(client, None, 5) == 3
    frozen_clock["now"] = T0 + 59.5
    with pytest.raises(RateLimited) as limited:
        asyncio.run(check_rate_limits(client, None))
    assert limited.value.retry_after == 1
    frozen_clock["now"] = T0 + 70
    assert hits(client, None, 5) == 3


@override_settings(CHAT_RATE_LIMIT_PER_IP=0, CHAT_RATE_LIMIT_PER_CONVERSATION=2)
def test_conversation_limit_counts_its_first_question():
    conversation = str(uuid.uuid4())
    asyncio.run(count_new_conversation(conversation))
    assert hits(uuid.uuid4().hex, conversation, 3) == 1


@override_settings(CHAT_RATE_LIMIT_PER_IP=0, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_zero_switches_limits_off():
    assert hits("someone", str(uuid.uuid4()), 50) == 50


@override_settings(CHAT_RATE_LIMIT_PER_IP=20, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_local_counter_is_atomic_across_threads():
    """The embedded default: 8 threads x 25 hits on one counter, limit 20: exactly 20 pass."""
    client = uuid.uuid4().hex
    passed = []
    start = threading.Barrier(8)

    def worker():
        start.wait()
        passed.append(hits_without_assert(client, 25))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(passed) == 20


def hits_without_assert(client: str, times: int) -> int:
    passed = 0
    for _ in range(times):
        count = counters.hit(f"chat:ip:{client}", 60)
        passed += count.value <= 20
    return passed


@pytest.fixture
def redis_counters(redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    before = set(server.keys(f"{counters.KEY_PREFIX}*"))
    with override_settings(REDIS_URL=redis_url):
        yield server
    for key in set(server.keys(f"{counters.KEY_PREFIX}*")) - before:
        server.delete(key)


@pytest.mark.services
def test_limits_are_shared_through_redis(redis_counters):
    client = uuid.uuid4().hex
    with override_settings(CHAT_RATE_LIMIT_PER_IP=2):
        assert hits(client, None, 3) == 2
    # the counter lives in Redis, where every web process sees it, and expires by itself
    key = f"{counters.KEY_PREFIX}chat:ip:{client}:{int(T0 // 60)}"
    assert int(redis_counters.get(key)) == 3
    assert 0 < redis_counters.ttl(key) <= 120


@pytest.mark.services
@override_settings(CHAT_RATE_LIMIT_PER_IP=20, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_200_concurrent_requests_on_redis_let_exactly_20_through(redis_counters):
    assert concurrent_hits(uuid.uuid4().hex, 200) == 20


@pytest.mark.services
@override_settings(CHAT_RATE_LIMIT_PER_IP=20, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_two_processes_worth_of_threads_share_one_redis_counter(redis_counters):
    """Two event loops in two threads (as two web processes would) on one counter."""
    client = uuid.uuid4().hex
    results = []
    start = threading.Barrier(2)

    def process():
        start.wait()
        results.append(concurrent_hits(client, 100))

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 20


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@override_settings(CHAT_RATE_LIMIT_PER_IP=1, CHAT_RATE_LIMIT_PER_CONVERSATION=1)
def test_the_chat_fails_open_when_redis_is_down(caplog, monkeypatch):
    monkeypatch.setattr("backend.chat.throttle._last_outage_warning", 0.0)
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        assert hits(uuid.uuid4().hex, str(uuid.uuid4()), 5) == 5
    assert "counter store unavailable" in caplog.text
