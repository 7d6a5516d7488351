"""Per-visitor and per-conversation rate limits of the public chat.

The counters are atomic (``backend.ops.counters``): in Redis with ``REDIS_URL``, shared by
every web process; otherwise in the process's memory (the embedded default runs one process).
Fixed one-minute windows: simple, and a visitor who hits the limit waits at most a minute.

When Redis is down the chat **fails open**: the question goes through and a warning is logged
(at most once a minute). A public help chat that stops answering because its counter store is
away hurts every visitor; a short outage lets a flood through that the language model's own
limits and the operator's alert on ``/readyz`` (Redis check) bound.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from backend.ops import counters

logger = logging.getLogger(__name__)

WINDOW_S = 60
_last_outage_warning = 0.0


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after


def _warn_outage() -> None:
    global _last_outage_warning
    if time.monotonic() - _last_outage_warning >= 60:
        _last_outage_warning = time.monotonic()
        logger.warning("chat rate limit: counter store unavailable, letting requests through")


async def _hit(key: str, limit: int) -> int | None:
    """Count one request; the seconds to wait when over ``limit``, else None."""
    try:
        count = await counters.ahit(f"chat:{key}", WINDOW_S)
    except counters.CounterUnavailable:
        _warn_outage()
        return None
    if count.value > limit:
        return count.reset_in
    return None


async def check_rate_limits(client: str, conversation_id: str | None) -> None:
    """Raise :class:`RateLimited` when the visitor or the conversation asks too often."""
    per_ip = settings.CHAT_RATE_LIMIT_PER_IP
    if per_ip and client:
        wait = await _hit(f"ip:{client}", per_ip)
        if wait is not None:
            raise RateLimited("client", wait)
    per_conversation = settings.CHAT_RATE_LIMIT_PER_CONVERSATION
    if per_conversation and conversation_id:
        wait = await _hit(f"conversation:{conversation_id}", per_conversation)
        if wait is not None:
            raise RateLimited("conversation", wait)


async def count_new_conversation(conversation_id: str) -> None:
    """A conversation's first question counts against its limit too (it had no id yet)."""
    limit = settings.CHAT_RATE_LIMIT_PER_CONVERSATION
    if limit:
        await _hit(f"conversation:{conversation_id}", limit)
