"""The one way a wiki crawl talks to a MediaWiki: its action API over httpx, guarded and polite.

Why httpx and not mwclient (0.11, in the package lists) or pywikibot: the private-network
guard must decide on the address each connection really uses (DNS rebinding, as
``crawler.resolver`` does for the spider). httpcore, under httpx, takes a network backend as
public API; here that backend resolves through ``NetGuard`` and connects to the checked
address only. mwclient sends through a requests session, where the address cannot be checked
at connect time without private names, and it retries a wiki that is down up to 25 times with
sleeps of its own. The API needs half a dozen calls (login, page lists, logs, parse), each
bounded here in size and time. httpx is already installed for the openai SDK.

Politeness: one request at a time (the crawl is sequential) and request starts at least
``download_delay`` apart per host; with ``politeness_redis_url`` the same schedule in Redis
as the spider's (``crawler.politeness.ACQUIRE_LUA``), so a website crawl and a wiki crawl of
one host keep the limits together.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from crawler.config import CrawlConfig
from crawler.netguard import NetGuard
from rag.retry import RetryPolicy, parse_retry_after

logger = logging.getLogger(__name__)

# a list's answers and a login are small; a rendered page has its own limit (max_page_bytes)
MAX_LIST_BYTES = 16 * 1024 * 1024
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class WikiError(RuntimeError):
    """Something the crawl reports; ``str()`` is the editor's reason."""


class WikiUnreachable(WikiError):
    """The wiki did not answer (connection, timeout, 5xx) even after retries: transient."""


class WikiRefused(WikiError):
    """The network guard refused the wiki's address (a private network not allowed)."""


class WikiApiError(WikiError):
    """The API answered with an error (``code``: MediaWiki's error code)."""

    def __init__(self, code: str, info: str):
        super().__init__(f"{code}: {info}")
        self.code = code


class PageTooLarge(WikiError):
    """An answer over its size or time limit; the page fails, the crawl goes on."""


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the NetGuard allows, and to the very address it checked."""

    def __init__(self, guard: NetGuard):
        self.guard = guard
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        decision = self.guard.check(host, port)
        if not decision.allowed:
            raise WikiRefused(f"refused by the network guard: {decision.reason}")
        error: Exception | None = None
        for address in decision.addresses:
            if not self.guard.check_address(host, address).allowed:
                continue
            try:
                return self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or WikiRefused(f"no allowed address for {host}")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise WikiRefused("unix sockets are not crawled")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _Body(httpx.SyncByteStream):
    def __init__(self, stream):
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class GuardedTransport(httpx.BaseTransport):
    """httpx over an httpcore pool with the guarded backend (and no proxy from the env)."""

    def __init__(self, guard: NetGuard):
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=GuardedBackend(guard)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core)
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc) or "timed out", request=request) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class HostGate:
    """Request starts to one host ``delay_s`` apart, one at a time, optionally through Redis."""

    def __init__(self, host: str, delay_s: float, redis_url: str = ""):
        self.host, self.delay_s = host, delay_s
        self._next = 0.0
        self._script = None
        self._token = ""
        if redis_url:
            try:
                import redis

                from crawler.politeness import ACQUIRE_LUA

                client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
                self._script = client.register_script(ACQUIRE_LUA)
                self._client = client
            except Exception as exc:  # no redis module: the limits hold in this process
                logger.warning("politeness through Redis is off: %s", exc)

    def enter(self) -> None:
        if self._script is not None:
            try:
                self._enter_shared()
                return
            except Exception as exc:
                logger.warning("Redis for politeness failed (%s); keeping limits locally", exc)
                self._script = None
        wait = self._next - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._next = time.monotonic() + self.delay_s

    def _enter_shared(self) -> None:
        from crawler.politeness import redis_keys

        self._token = uuid.uuid4().hex
        keys = redis_keys(self.host)
        while True:
            args = [1, int(self.delay_s * 1000), 300_000, self._token]
            wait_ms, _start = (int(n) for n in self._script(keys=keys, args=args))
            if wait_ms >= 0:
                time.sleep(wait_ms / 1000)
                return
            time.sleep(0.05)

    def leave(self) -> None:
        if self._script is not None and self._token:
            try:
                from crawler.politeness import redis_keys

                self._client.zrem(redis_keys(self.host)[0], self._token)
            except Exception:
                logger.debug("lease not released; it expires by itself")


class WikiClient:
    """Calls to one wiki's api.php; counts them by action (``calls``) for tests and logs."""

    def __init__(self, config: CrawlConfig, *, guard: NetGuard | None = None):
        wiki = config.mediawiki
        assert wiki is not None
        self.api_url = wiki.api_url
        parts = urlsplit(self.api_url)
        host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        self.gate = HostGate(host, config.download_delay, config.politeness_redis_url)
        self.timeout_s = config.request_timeout_s
        self.retry = RetryPolicy(attempts=config.retry_times, base_s=1.0, cap_s=30.0, jitter=0.5)
        self.max_retry_after_s = config.max_retry_after_s
        self.calls: dict[str, int] = {}
        self._http = httpx.Client(
            transport=GuardedTransport(guard or NetGuard(config.allowed_networks)),
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def get(self, params: dict[str, Any], **limits) -> dict:
        return self.call("GET", params, **limits)

    def post(self, params: dict[str, Any], **limits) -> dict:
        return self.call("POST", params, **limits)

    def call(
        self,
        method: str,
        params: dict[str, Any],
        *,
        max_bytes: int = MAX_LIST_BYTES,
        timeout_s: float | None = None,
    ) -> dict:
        """One API call (retried when transient); its JSON, or a WikiError."""
        params = {**params, "format": "json", "formatversion": "2"}
        self.calls[params.get("action", "")] = self.calls.get(params.get("action", ""), 0) + 1
        retry = 0
        while True:
            try:
                return self._once(method, params, max_bytes, timeout_s or self.timeout_s)
            except WikiUnreachable as exc:
                retry += 1
                after = getattr(exc, "retry_after", None)
                if not self.retry.allows(retry) or (after or 0) > self.max_retry_after_s:
                    raise
                time.sleep(self.retry.delay(retry, after))

    def _once(self, method: str, params: dict, max_bytes: int, timeout_s: float) -> dict:
        data = {"data": params} if method == "POST" else {"params": params}
        self.gate.enter()
        started = time.monotonic()
        try:
            with self._http.stream(method, self.api_url, timeout=timeout_s, **data) as response:
                body = _read_bounded(response, max_bytes, started, timeout_s)
        except httpx.TimeoutException as exc:
            raise WikiUnreachable(f"the wiki did not answer within {timeout_s:g} s") from exc
        except httpx.TransportError as exc:  # a WikiRefused from the backend passes as it is
            raise WikiUnreachable(f"the wiki cannot be reached: {exc}") from exc
        finally:
            self.gate.leave()
        status = response.status_code
        if status in TRANSIENT_STATUSES:
            error = WikiUnreachable(f"the wiki answered HTTP {status}")
            error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise error
        if 300 <= status < 400:
            where = response.headers.get("Location", "")
            raise WikiApiError("redirect", f"api.php answered with a redirect to {where}")
        if status != 200:
            raise WikiApiError(f"http-{status}", f"api.php answered HTTP {status}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise WikiApiError(
                "not-json", "api.php did not answer JSON: is it a wiki's API?"
            ) from None
        if not isinstance(answer, dict):
            raise WikiApiError("not-json", "api.php did not answer a JSON object")
        if "error" in answer:
            error = answer["error"] or {}
            raise WikiApiError(str(error.get("code", "error")), str(error.get("info", "")))
        return answer


def _read_bounded(response: httpx.Response, max_bytes: int, started: float, limit_s: float):
    parts, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise PageTooLarge(f"the answer is larger than {max_bytes // 1024} KiB")
        if time.monotonic() - started > limit_s:
            raise PageTooLarge(f"the answer took longer than {limit_s:g} s")
        parts.append(chunk)
    return b"".join(parts)
