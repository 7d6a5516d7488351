"""Every request a ticket delivery makes, through the network guard.

The webhook, Zammad and Chatwoot addresses are set in the admin, so like the crawler's
fetches they may not reach private, loopback or link-local addresses unless the operator
allows them (``HANDOFF_ALLOWED_NETWORKS``, the rules of ``crawler.netguard``). The connection
goes to the address the guard checked (no second DNS look-up that could answer otherwise),
with the name kept for the Host header and TLS; redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from crawler.netguard import NetGuard
from rag.retry import retry_after_from_headers

logger = logging.getLogger(__name__)

# Worth trying again later: the other side is busy, restarting or rate-limiting.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class DeliveryError(Exception):
    """A try that did not deliver. ``transient``: a later try may succeed (retried)."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.transient = transient
        self.status_code = status_code
        # the other side's Retry-After (429, 503): the next try waits at least this long
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes

    def json(self) -> dict | list:
        import json

        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}


def _pinned(url: str) -> tuple[str, str, dict]:
    """The URL to connect to (the checked address), the Host header and the TLS name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url!r}", transient=False)
    host = parts.hostname
    decision = NetGuard(settings.HANDOFF_ALLOWED_NETWORKS).check(host, parts.port)
    if not decision.allowed:
        transient = decision.reason.startswith("dns_failed")
        raise DeliveryError(
            f"{host} refused by the network guard ({decision.reason}); an operator may allow "
            "it with HANDOFF_ALLOWED_NETWORKS",
            transient=transient,
        )
    host_header = parts.netloc.rpartition("@")[2]
    try:
        ipaddress.ip_address(host)
        return url, host_header, {}
    except ValueError:
        pass
    address = decision.addresses[0]
    shown = f"[{address}]" if ":" in address else address
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return pinned, host_header, {"sni_hostname": host}


def send(
    method: str, url: str, *, body: bytes | None = None, headers: dict | None = None
) -> Answer:
    """One request; a 2xx answer, or :class:`DeliveryError` saying whether to retry."""
    target, host_header, extensions = _pinned(url)
    all_headers = {"User-Agent": "Lotse-Handoff/1", "Host": host_header, **(headers or {})}
    try:
        with httpx.Client(
            timeout=settings.HANDOFF_DELIVERY_TIMEOUT, follow_redirects=False
        ) as client:
            request = client.build_request(
                method, target, content=body, headers=all_headers, extensions=extensions
            )
            response = client.send(request)
            content = response.read()[:100_000]
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from None
    if 200 <= response.status_code < 300:
        return Answer(response.status_code, content)
    snippet = content[:300].decode("utf-8", "replace").strip()
    raise DeliveryError(
        f"HTTP {response.status_code} from {host_header}: {snippet}",
        transient=response.status_code in TRANSIENT_STATUSES,
        status_code=response.status_code,
        retry_after=retry_after_from_headers(response.headers),
    )
