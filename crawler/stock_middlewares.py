"""Scrapy's stock middlewares, raising a typed error where the stock one raises a bare
``IgnoreRequest``: robots.txt disallows, too many redirects, a decompression bomb.

The per-URL log (crawler.failures) then tells them apart by type, not by the wording of
Scrapy's messages. Each wrapper catches ``IgnoreRequest`` only around the one stock method
whose only ``IgnoreRequest`` is that case (Scrapy 2.19).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.events import Outcome
from crawler.middlewares import SkipRequest


class RobotsDisallowed(SkipRequest):
    def __init__(self) -> None:
        super().__init__("robots_disallowed")


class TooManyRedirects(SkipRequest):
    def __init__(self) -> None:
        super().__init__("too_many_redirects", Outcome.FAILED)


class DecompressedTooLarge(SkipRequest):
    """A compressed body that inflates beyond DOWNLOAD_MAXSIZE."""

    def __init__(self) -> None:
        super().__init__("too_large")


class TypedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsDisallowed from exc


class TypedRedirectMiddleware(RedirectMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            raise TooManyRedirects from exc


class TypedMetaRefreshMiddleware(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            raise TooManyRedirects from exc


class TypedHttpCompressionMiddleware(HttpCompressionMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            raise DecompressedTooLarge from exc
