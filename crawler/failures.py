"""What went wrong with a request, in the per-URL log's words (outcome, reason, status).

By type only: Lotse's own errors carry their reason (``SkipRequest`` and its kinds in
crawler.stock_middlewares, ``RefusedAddress`` from crawler.resolver, ``RetryCancelled``),
Scrapy's download errors are one public type each.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.events import Outcome
from crawler.middlewares import SkipRequest
from crawler.resolver import RefusedAddress
from crawler.retrying import RetryCancelled


def describe_failure(failure: Failure) -> tuple[Outcome, str, int | None]:
    """(outcome, reason, http status) of a failed request, for the per-URL log."""
    exc = failure.value
    if isinstance(exc, SkipRequest):
        return Outcome(exc.outcome), exc.reason, None
    if isinstance(exc, RetryCancelled):  # the crawl ended while its retry waited
        return Outcome.FAILED, exc.reason, exc.status
    if isinstance(exc, HttpError):
        status = exc.response.status
        return Outcome.FAILED, f"http_{status}", status
    if isinstance(exc, IgnoreRequest):  # another component's; its message is all there is
        return Outcome.SKIPPED, str(exc) or "ignored", None
    if isinstance(exc, DownloadCancelledError):
        # Scrapy's HTTP handlers cancel a download for DOWNLOAD_MAXSIZE only: the timeout
        # is a DownloadTimeoutError, and closing the crawl does not cancel downloads.
        return Outcome.FAILED, "too_large", None
    if isinstance(exc, DownloadTimeoutError):
        return Outcome.FAILED, "timeout", None
    if isinstance(exc, CannotResolveHostError):
        if isinstance(exc.__cause__, RefusedAddress):  # crawler.resolver refused the answer
            return Outcome.SKIPPED, exc.__cause__.reason, None
        return Outcome.FAILED, "dns_failed", None
    if isinstance(exc, DownloadConnectionRefusedError):
        return Outcome.FAILED, "connection_refused", None
    return Outcome.FAILED, f"{type(exc).__name__}: {exc}"[:300], None


def describe_exception(exc: BaseException) -> tuple[Outcome, str, int | None]:
    """``describe_failure`` for an exception seen by a downloader middleware."""
    return describe_failure(Failure(exc))
