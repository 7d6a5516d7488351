"""Who is asking: the client address every rate limit and lockout counts by.

Only ``REMOTE_ADDR`` is read. ``manage.py serve`` runs uvicorn with ``proxy_headers`` and
``forwarded_allow_ips=FORWARDED_ALLOW_IPS``: uvicorn replaces the peer address with the one
from ``X-Forwarded-For`` only when the request came from one of those proxies. No Lotse code
reads ``X-Forwarded-For`` itself, so a visitor cannot choose the address it is counted by.
"""

from __future__ import annotations

import ipaddress

# An IPv6 customer usually gets a whole /64: counting single addresses in it would let one
# visitor rotate through 2**64 of them.
IPV6_PREFIX = 64


def client_address(meta: dict) -> str:
    """The request's client as counted: the IPv4 address, or the IPv6 address's /64."""
    raw = str(meta.get("REMOTE_ADDR") or "")
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)
