"""Failed requests are told apart by exception type (crawler.failures, crawler.stock_middlewares)."""

from __future__ import annotations

import gzip

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from crawler.failures import describe_exception
from crawler.middlewares import SkipRequest
from crawler.resolver import RefusedAddress
from crawler.retrying import RetryCancelled
from crawler.stock_middlewares import (
    DecompressedTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    TypedHttpCompressionMiddleware,
    TypedMetaRefreshMiddleware,
    TypedRedirectMiddleware,
    TypedRobotsTxtMiddleware,
)

URL = "https://verein.example/seite"


def raised_from(error: Exception, cause: Exception) -> Exception:
    try:
        raise error from cause
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    "exc, expected",
    [
        (SkipRequest("refused_address: private"), ("skipped", "refused_address: private", None)),
        (RobotsDisallowed(), ("skipped", "robots_disallowed", None)),
        (TooManyRedirects(), ("failed", "too_many_redirects", None)),
        (DecompressedTooLarge(), ("skipped", "too_large", None)),
        (RetryCancelled("http_503", 503), ("failed", "http_503", 503)),
        (HttpError(Response(URL, status=500), "ignored"), ("failed", "http_500", 500)),
        (IgnoreRequest("Filtered offsite request"), ("skipped", "Filtered offsite request", None)),
        (DownloadCancelledError("cancelled"), ("failed", "too_large", None)),
        (DownloadTimeoutError("took too long"), ("failed", "timeout", None)),
        (
            raised_from(
                CannotResolveHostError("any words"), RefusedAddress("refused_address: loopback")
            ),
            ("skipped", "refused_address: loopback", None),
        ),
        (
            raised_from(CannotResolveHostError("refused_address"), DNSLookupError("nx")),
            ("failed", "dns_failed", None),
        ),
        (DownloadConnectionRefusedError("no"), ("failed", "connection_refused", None)),
        (ValueError("odd"), ("failed", "ValueError: odd", None)),
    ],
)
def test_describe_exception_by_type(exc, expected):
    outcome, reason, status = describe_exception(exc)
    assert (outcome.value, reason, status) == expected


@pytest.fixture
def crawler():
    return get_crawler(
        settings_dict={"REDIRECT_MAX_TIMES": 1, "DOWNLOAD_MAXSIZE": 1000, "ROBOTSTXT_OBEY": True}
    )


def test_a_redirect_too_many_is_typed(crawler):
    middleware = TypedRedirectMiddleware.from_crawler(crawler)
    request = Request(URL, meta={"redirect_times": 1})
    response = Response(URL, status=301, headers={"Location": "/weiter"}, request=request)
    with pytest.raises(TooManyRedirects):
        middleware.process_response(request, response)


def test_a_meta_refresh_too_many_is_typed(crawler):
    middleware = TypedMetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL, meta={"redirect_times": 1})
    body = b'<html><head><meta http-equiv="refresh" content="0;url=/weiter"></head></html>'
    response = HtmlResponse(URL, body=body, request=request)
    with pytest.raises(TooManyRedirects):
        middleware.process_response(request, response)


def test_a_decompression_bomb_is_typed(crawler):
    middleware = TypedHttpCompressionMiddleware.from_crawler(crawler)
    request = Request(URL)
    body = gzip.compress(b"\0" * 100_000)
    response = Response(URL, body=body, headers={"Content-Encoding": "gzip"}, request=request)
    with pytest.raises(DecompressedTooLarge):
        middleware.process_response(request, response)


def test_a_robots_disallow_is_typed(crawler):
    class Disallowing:
        def allowed(self, url, user_agent) -> bool:
            return False

    middleware = TypedRobotsTxtMiddleware.from_crawler(crawler)
    with pytest.raises(RobotsDisallowed):
        middleware.process_request_2(Disallowing(), Request(URL))
