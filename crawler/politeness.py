"""Per-host politeness: delay and concurrency, within one crawl process or across many.

``HostPolitenessMiddleware`` asks, before every request to a host, for

* a *lease* on one of the host's ``concurrency_per_host`` slots (a sorted set of token ->
  expiry). Leases expire on their own, so a killed process frees its slots without anyone
  cleaning up;
* a *start time* from the host's "next allowed fetch" value, so request starts to one host
  are at least the delay apart (the larger of ``download_delay`` and robots.txt
  Crawl-delay, capped).

The lease is taken before the start time is reserved: a request that reserved a time and
then queued for a lease would start late, and the next reservation (made meanwhile) could
then start right after it.

Without ``CrawlConfig.politeness_redis_url`` this state lives in the process
(``LocalHostSlots``). With it, the state lives in Redis (``RedisHostSlots``): one Lua script
does both steps atomically in one round trip on Redis's clock, so several crawler workers
on the same site together keep the limits. If Redis cannot be reached the middleware logs
one warning and keeps the limits within its process; a crawl never fails for want of Redis.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from scrapy import Request, signals
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.state import CrawlState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

KEY_PREFIX = "lotse:polite:"
SETTING = "LOTSE_POLITENESS_REDIS_URL"
META_LEASE = "lotse_polite_lease"
# A lease outlives the longest legitimate request by this much before it counts as leaked.
LEASE_MARGIN_S = 30.0
# How often a request waiting for a slot freed by another process asks Redis again;
# jittered so waiters spread out.
POLL_INTERVAL_S = 0.05
REDIS_TIMEOUT_S = 2.0

# KEYS[1] leases (zset token -> expiry ms), KEYS[2] next allowed start (ms, Redis clock)
# ARGV: limit, delay_ms, lease_ms (counted from the reserved start), token, [now_ms for tests]
# Returns {-1, now} when all slots are taken, else {milliseconds to wait, reserved start}
# (the start in milliseconds on Redis's clock).
ACQUIRE_LUA = """
local now
if ARGV[5] and ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local limit = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return {-1, now}
end
local start = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[2], start + delay, 'PX', math.floor(start + delay - now + 60000))
redis.call('ZADD', KEYS[1], start + lease, ARGV[4])
-- Only ever lengthen the set's life: a process with shorter leases must not drop longer ones.
local keep = math.floor(start + lease - now + 1000)
if redis.call('PTTL', KEYS[1]) < keep then
  redis.call('PEXPIRE', KEYS[1], keep)
end
return {start - now, start}
"""


def host_key(request: Request) -> str:
    """One server: host and explicit port (two local test sites on one address differ)."""
    parts = urlparse_cached(request)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def redis_keys(host: str) -> tuple[str, str]:
    # The braces make both keys one hash slot, so the script also runs on Redis Cluster.
    return f"{KEY_PREFIX}{{{host}}}:leases", f"{KEY_PREFIX}{{{host}}}:next"


class Slot(NamedTuple):
    """A lease on one of a host's slots and the start reserved for it."""

    wait_s: float
    # the reserved start in seconds on the clock that keeps the schedule: Redis's TIME
    # (since the epoch) when shared, this process's time.monotonic in the fallback
    starts_at: float


class HostSlots(Protocol):
    async def acquire(
        self, host: str, *, limit: int, delay_s: float, lease_s: float, token: str
    ) -> Slot | None:
        """The slot and its start, or None when all of the host's slots are taken."""

    async def release(self, host: str, token: str) -> None: ...


class RedisHostSlots:
    """Slots and start times shared through Redis (see ACQUIRE_LUA)."""

    def __init__(self, url: str):
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
        )
        self._script = self.client.register_script(ACQUIRE_LUA)

    async def acquire(
        self,
        host: str,
        *,
        limit: int,
        delay_s: float,
        lease_s: float,
        token: str,
        now_ms: int | None = None,
    ) -> Slot | None:
        args = [limit, int(delay_s * 1000), int(lease_s * 1000), token]
        if now_ms is not None:
            args.append(now_ms)
        wait_ms, start_ms = (int(n) for n in await self._script(keys=redis_keys(host), args=args))
        return None if wait_ms < 0 else Slot(wait_ms / 1000, start_ms / 1000)

    async def release(self, host: str, token: str) -> None:
        await self.client.zrem(redis_keys(host)[0], token)

    async def close(self) -> None:
        await self.client.aclose()


class LocalHostSlots:
    """The same rules as ACQUIRE_LUA, for this process only: without Redis, or after it failed."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._leases: dict[str, dict[str, float]] = {}
        self._next: dict[str, float] = {}

    async def acquire(
        self, host: str, *, limit: int, delay_s: float, lease_s: float, token: str
    ) -> Slot | None:
        now = self._clock()
        leases = {t: exp for t, exp in self._leases.get(host, {}).items() if exp > now}
        self._leases[host] = leases
        if len(leases) >= limit:
            return None
        start = max(now, self._next.get(host, 0.0))
        self._next[host] = start + delay_s
        leases[token] = start + lease_s
        return Slot(round(start - now, 3), start)  # milliseconds, as from Redis

    async def release(self, host: str, token: str) -> None:
        self._leases.get(host, {}).pop(token, None)


class HostPolitenessMiddleware:
    """Waits for a host slot and start time before each request; frees the slot after.

    The one place where delay and concurrency per host are kept: Scrapy's own slot neither
    spaces (DOWNLOAD_DELAY is 0, see crawler.settings) nor reliably limits — with no delay,
    Scrapy 2.19 hands a slot's whole queue to the download handler before any request counts
    as transferring, so CONCURRENT_REQUESTS_PER_DOMAIN does not hold.
    """

    def __init__(self, url: str, state: CrawlState):
        self.state = state
        self.local = LocalHostSlots()
        self.shared: RedisHostSlots | None = RedisHostSlots(url) if url else None
        # host -> event set when a slot of this process frees up; replaced after each set.
        self._released: dict[str, asyncio.Event] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostPolitenessMiddleware:
        middleware = cls(crawler.settings.get(SETTING) or "", CrawlState.of(crawler))
        crawler.signals.connect(middleware.on_closed, signal=signals.spider_closed)
        return middleware

    def _fall_back(self, exc: Exception) -> None:
        if self.shared is None:
            return
        logger.warning(
            "Redis for shared politeness is not usable (%s); this crawl keeps delay and "
            "concurrency per host within its own process only",
            exc,
        )
        self.shared = None

    async def process_request(self, request: Request) -> None:
        config = self.state.config
        host = host_key(request)
        delay = self.state.host_delays.get(urlparse_cached(request).hostname or "")
        delay = max(config.download_delay, delay or 0.0)
        # Counted from the reserved start: the whole download fits; a leaked lease ends after.
        lease = config.request_timeout_s + LEASE_MARGIN_S
        token = uuid.uuid4().hex
        while True:
            slot = await self._acquire(host, config.concurrency_per_host, delay, lease, token)
            if slot is not None:
                break
            await self._wait_for_a_slot(host)
        request.meta[META_LEASE] = (host, token)
        # The reserved start is what politeness promises (starts a delay apart, on the
        # clock that keeps the schedule); a late-scheduled process may only start later.
        logger.debug(
            "politeness: %s starts at %.3f (in %.3f s)", request.url, slot.starts_at, slot.wait_s
        )
        if slot.wait_s > 0:
            # Sleeping in a coroutine holds no reactor time: other hosts go on meanwhile.
            await asyncio.sleep(slot.wait_s)

    async def _wait_for_a_slot(self, host: str) -> None:
        # Our own releases wake us at once; other processes' releases are only seen in
        # Redis, so ask again after a jittered moment in any case.
        released = self._released.setdefault(host, asyncio.Event())
        timeout = POLL_INTERVAL_S * random.uniform(0.5, 1.5)
        try:
            await asyncio.wait_for(released.wait(), timeout)
        except TimeoutError:
            pass

    async def _acquire(
        self, host: str, limit: int, delay: float, lease: float, token: str
    ) -> Slot | None:
        kwargs: dict[str, Any] = dict(limit=limit, delay_s=delay, lease_s=lease, token=token)
        if self.shared is not None:
            try:
                return await self.shared.acquire(host, **kwargs)
            except Exception as exc:  # redis raises many kinds; all mean "not usable"
                self._fall_back(exc)
        return await self.local.acquire(host, **kwargs)

    async def _release(self, request: Request) -> None:
        held = request.meta.pop(META_LEASE, None)
        if held is None:
            return  # refused before it got a slot, or released already
        host, token = held
        await self.local.release(host, token)
        if self.shared is not None:
            try:
                await self.shared.release(host, token)
            except Exception as exc:  # the lease expires on its own
                self._fall_back(exc)
        released = self._released.pop(host, None)
        if released is not None:
            released.set()

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._release(request)
        return None

    async def on_closed(self, spider: Any, reason: str) -> None:
        if self.shared is not None:
            try:
                await self.shared.close()
            except Exception:  # closing a broken connection tells us nothing new
                logger.debug("closing the politeness Redis client failed", exc_info=True)
