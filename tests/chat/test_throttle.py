"""Rate limits count in Django's cache: local memory, or Redis shared by all web processes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.test import override_settings

from backend.chat.throttle import RateLimited, check_rate_limits, count_new_conversation


def hits(client: str, conversation: str | None, times: int) -> int:
    """How many of ``times`` requests got through."""

    async def run() -> int:
        passed = 0
        for _ in range(times):
            try:
                await check_rate_limits(client, conversation)
                passed += 1
            except RateLimited as limited:
                assert 1 <= limited.retry_after <= 60
        return passed

    return asyncio.run(run())


@override_settings(CHAT_RATE_LIMIT_PER_IP=3, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_per_client_limit_in_local_memory():
    client = uuid.uuid4().hex
    assert hits(client, None, 5) == 3
    assert hits(uuid.uuid4().hex, None, 1) == 1


@override_settings(CHAT_RATE_LIMIT_PER_IP=0, CHAT_RATE_LIMIT_PER_CONVERSATION=2)
def test_conversation_limit_counts_its_first_question():
    conversation = str(uuid.uuid4())
    asyncio.run(count_new_conversation(conversation))
    assert hits(uuid.uuid4().hex, conversation, 3) == 1


@override_settings(CHAT_RATE_LIMIT_PER_IP=0, CHAT_RATE_LIMIT_PER_CONVERSATION=0)
def test_zero_switches_limits_off():
    assert hits("someone", str(uuid.uuid4()), 50) == 50


@pytest.mark.services
def test_limits_are_shared_through_redis(redis_url):
    import redis

    prefix = f"lotse-test-{uuid.uuid4().hex}"
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(redis_url)
    try:
        with override_settings(CACHES=redis_cache, CHAT_RATE_LIMIT_PER_IP=2):
            assert hits(uuid.uuid4().hex, None, 3) == 2
        # the counter lives in Redis, where every web process sees it
        assert server.keys(f"{prefix}:*chat-rate:ip:*")
    finally:
        for key in server.keys(f"{prefix}:*"):
            server.delete(key)
