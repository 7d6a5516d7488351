"""When to try again: one backoff rule and one Retry-After parser for every retry in Lotse.

The crawler, the embedding client, the LLM client and the Celery tasks each hold a
:class:`RetryPolicy` with their own numbers (a crawl waits seconds, a task minutes) and ask it
for the wait before retry number *n*. Standard library only: ``crawler`` may import this.

The wait is ``base_s * 2 ** (n - 1)``, at most ``cap_s``, with a random share of it taken off
(``jitter``): 1.0 is "full jitter" (anything from 0 to the ceiling), so many workers hitting one
rate limit spread out instead of retrying in lockstep; 0.5 keeps at least half, so a struggling
server always gets a pause. A server's Retry-After is a floor, never a reason to exceed the cap:
whether a longer ask means "wait the cap" or "give up" is the caller's decision
(:meth:`RetryPolicy.exceeds_cap`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# delta-seconds is digits by RFC 9110; some APIs send a fraction ("1.5"), which is as clear
_SECONDS = re.compile(r"\d+(\.\d+)?")


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date (a date in the
    past is 0). None when absent or unreadable, so the caller's own backoff applies. A huge
    value stays huge (possibly ``inf``): the policy caps it, the caller decides."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; parsedate leaves "-0000" naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_after_from_headers(headers) -> float | None:
    """The wait an HTTP answer's headers ask for: ``retry-after-ms`` (OpenAI's and Azure's
    finer one) or ``retry-after``; None without either. ``headers``: any mapping with ``get``
    (httpx's headers ignore the names' case)."""
    if headers is None:
        return None
    milliseconds = parse_retry_after(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000.0
    return parse_retry_after(headers.get("retry-after"))


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts``: retries allowed after the first try. ``base_s``: the wait before the first
    retry (before jitter). ``cap_s``: no wait is longer. ``jitter``: the share of the wait
    that is random, from 0 (none) to 1 (full)."""

    attempts: int
    base_s: float
    cap_s: float
    jitter: float = 1.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.base_s < 0 or self.cap_s < 0:
            raise ValueError(f"a retry policy takes no negative numbers: {self}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter is a share between 0 and 1, not {self.jitter}")

    def allows(self, retry: int) -> bool:
        """Whether retry number ``retry`` (1-based) is within ``attempts``."""
        return retry <= self.attempts

    def exceeds_cap(self, retry_after: float | None) -> bool:
        """The server asks for a longer wait than this policy ever waits."""
        return retry_after is not None and retry_after > self.cap_s

    def delay(
        self,
        retry: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): the jittered backoff, at
        least ``retry_after`` when the server gave one, and never more than ``cap_s``."""
        # the exponent stops at 64: the cap is reached long before, and 2.0 ** 1100 overflows
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(max(retry - 1, 0), 64))
        wait = ceiling * (1.0 - self.jitter + self.jitter * rand())
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.cap_s)
