"""Retries that wait outside Scrapy's request slots.

Scrapy counts a request against CONCURRENT_REQUESTS (16) from the moment it enters the
downloader until its middlewares are done with the answer. A retry that slept inside a
middleware for its Retry-After therefore kept its slot, and sixteen long waits on one slow
host stalled every host of the crawl. Instead, BackoffRetryMiddleware ends the answered
request with ``RetryLater`` (the spider's errbacks ignore it) and ``WaitingRetries`` hands
the retry to the engine again when its wait is over, through the scheduler like any new
request. Meanwhile it holds nothing, and the spider keeps the crawl open while retries wait.

Only a component's own downloads (``callback=NO_CALLBACK``: robots.txt, fetched by Scrapy's
RobotsTxtMiddleware through ``engine.download``) cannot go through the scheduler; those still
wait in the middleware, at most one per host.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.engine import ExecutionEngine
    from twisted.internet.interfaces import IDelayedCall

logger = logging.getLogger(__name__)


class RetryLater(IgnoreRequest):
    """This answer will be asked for again after a wait: no log line for it now."""


class RetryCancelled(Exception):
    """The crawl ended while a retry was waiting: the last answer is what the log gets."""

    def __init__(self, reason: str, status: int | None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class _Waiting:
    request: Request
    call: IDelayedCall
    reason: str
    status: int | None


class WaitingRetries:
    """The retries of one crawl that wait for their time; see the module docstring."""

    def __init__(self) -> None:
        self._waiting: dict[int, _Waiting] = {}
        self._tokens = itertools.count()

    def __len__(self) -> int:
        return len(self._waiting)

    def add(
        self,
        engine: ExecutionEngine,
        request: Request,
        wait_s: float,
        *,
        reason: str,
        status: int | None = None,
    ) -> None:
        """Give ``request`` to ``engine`` in ``wait_s`` seconds; ``reason`` and ``status``
        describe the answer it retries, for the log if the crawl ends first."""
        from twisted.internet import reactor

        token = next(self._tokens)
        call = reactor.callLater(wait_s, self._send, engine, token)
        self._waiting[token] = _Waiting(request, call, reason, status)

    def _send(self, engine: ExecutionEngine, token: int) -> None:
        waiting = self._waiting.pop(token)
        try:
            engine.crawl(waiting.request)
        except RuntimeError:  # the spider closed in the meantime
            logger.info("not retrying %s: the crawl has ended", waiting.request.url)

    def cancel_all(self) -> list[tuple[Request, RetryCancelled]]:
        """Stop every wait; each request with the error its errback should get."""
        waiting, self._waiting = list(self._waiting.values()), {}
        for entry in waiting:
            if entry.call.active():
                entry.call.cancel()
        return [(e.request, RetryCancelled(e.reason, e.status)) for e in waiting]
