"""What went wrong with a request, in the per-URL log's words (outcome, reason, status)."""

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
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return Outcome.SKIPPED, "robots_disallowed", None
        if "redirection" in text:
            return Outcome.FAILED, "too_many_redirects", None
        if "DOWNLOAD_MAXSIZE" in text:  # a decompression bomb, stopped while inflating
            return Outcome.SKIPPED, "too_large", None
        return Outcome.SKIPPED, text or "ignored", None
    if isinstance(exc, DownloadCancelledError):
        reason = "too_large" if "max size" in str(exc) else "cancelled"
        return Outcome.FAILED, reason, None
    if isinstance(exc, DownloadTimeoutError):
        return Outcome.FAILED, "timeout", None
    if isinstance(exc, CannotResolveHostError):
        text = str(exc)
        if "refused_address" in text:  # crawler.resolver refused the DNS answer
            return Outcome.SKIPPED, text[text.index("refused_address") :], None
        return Outcome.FAILED, "dns_failed", None
    if isinstance(exc, DownloadConnectionRefusedError):
        return Outcome.FAILED, "connection_refused", None
    return Outcome.FAILED, f"{type(exc).__name__}: {exc}"[:300], None


def describe_exception(exc: BaseException) -> tuple[Outcome, str, int | None]:
    """``describe_failure`` for an exception seen by a downloader middleware."""
    return describe_failure(Failure(exc))
