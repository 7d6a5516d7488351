"""The private-network guard for the browser's own requests (crawler.render.browser).

The same ``NetGuard`` as the crawler's requests (crawler.netguard): the host's resolved
addresses are checked, and only http(s) leaves the browser. What is refused is logged per URL
by crawler.render.step as ``skipped`` with the reason ``browser_blocked: …``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.netguard import NetGuard

# URLs the browser answers itself, without a network request.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


@dataclass(frozen=True)
class Blocked:
    url: str
    reason: str


def check_request(netguard: NetGuard, url: str) -> Blocked | None:
    """None when the browser may send this request, else why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Blocked(url, "invalid_url")
    if parts.scheme in LOCAL_SCHEMES:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Blocked(url, f"scheme_not_allowed: {parts.scheme}")
    decision = netguard.check(parts.hostname, port)
    if not decision.allowed:
        return Blocked(url, decision.reason)
    return None
