"""The DNS resolver of the crawl process: it refuses non-public answers at connect time.

NetGuardMiddleware checks a host before a request is sent, but DNS may answer differently a
moment later (DNS rebinding). Twisted connects to the address this resolver returns, so
checking it here closes that gap.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.netguard import NetGuard

logger = logging.getLogger(__name__)

SETTING = "LOTSE_ALLOWED_NETWORKS"


class RefusedAddress(DNSLookupError):
    """DNS answered with an address the crawl may not connect to. Scrapy turns it into a
    CannotResolveHostError whose cause is this; ``reason`` is the per-URL log's."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class GuardedResolver(CachingThreadedResolver):
    def __init__(
        self, reactor: Any, cache_size: int, timeout: float, guard: NetGuard | None = None
    ):
        super().__init__(reactor, cache_size, timeout)
        self.guard = guard or NetGuard()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.guard = NetGuard(crawler.settings.getlist(SETTING))
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self.refuse_non_public, name)
        return deferred

    def refuse_non_public(self, address: str, name: str) -> str:
        decision = self.guard.check_address(name, address)
        if not decision.allowed:
            logger.warning("refusing to connect to %s at %s: %s", name, address, decision.reason)
            raise RefusedAddress(f"refused_address: {decision.reason}")
        return address
