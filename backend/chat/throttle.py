"""Per-visitor and per-conversation rate limits, counted in Django's cache.

With REDIS_URL the counters live in Redis and hold across web processes; otherwise in the
process's local memory (the embedded default runs one process anyway). Fixed one-minute
windows: simple, and a visitor who hits the limit waits at most a minute.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_S = 60


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after


async def _hit(key: str, limit: int, now: float) -> int | None:
    """Count one request; the seconds to wait when over ``limit``, else None."""
    window = int(now // WINDOW_S)
    full_key = f"chat-rate:{key}:{window}"
    try:
        # add() only sets a missing key, so concurrent first requests do not reset the count
        await cache.aadd(full_key, 0, timeout=WINDOW_S * 2)
        count = await cache.aincr(full_key)
    except Exception:
        # a cache outage must not take the chat down: log it and let the request through
        logger.warning("chat rate limit: cache unavailable", exc_info=True)
        return None
    if count > limit:
        return max(1, int((window + 1) * WINDOW_S - now))
    return None


async def check_rate_limits(client: str, conversation_id: str | None) -> None:
    """Raise :class:`RateLimited` when the visitor or the conversation asks too often."""
    now = time.time()
    per_ip = settings.CHAT_RATE_LIMIT_PER_IP
    if per_ip and client:
        wait = await _hit(f"ip:{client}", per_ip, now)
        if wait is not None:
            raise RateLimited("client", wait)
    per_conversation = settings.CHAT_RATE_LIMIT_PER_CONVERSATION
    if per_conversation and conversation_id:
        wait = await _hit(f"conversation:{conversation_id}", per_conversation, now)
        if wait is not None:
            raise RateLimited("conversation", wait)


async def count_new_conversation(conversation_id: str) -> None:
    """A conversation's first question counts against its limit too (it had no id yet)."""
    limit = settings.CHAT_RATE_LIMIT_PER_CONVERSATION
    if limit:
        await _hit(f"conversation:{conversation_id}", limit, time.time())
