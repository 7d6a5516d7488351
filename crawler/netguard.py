"""SSRF guard: the crawler fetches only public addresses unless the operator allows more.

A crawl follows links and redirects chosen by someone else's website, so every request —
the first one and each redirect hop, robots.txt and sitemaps included — is checked here
(``crawler.middlewares.NetGuardMiddleware`` calls ``NetGuard.check``).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata services hand out cloud credentials; named so the log says why.
CLOUD_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("168.63.129.16"),  # Azure wire server
    }
)


class Refusal(StrEnum):
    CLOUD_METADATA = "cloud_metadata"
    LOOPBACK = "loopback"
    UNSPECIFIED = "unspecified"
    LINK_LOCAL = "link_local"
    MULTICAST = "multicast"
    PRIVATE = "private"
    RESERVED = "reserved"
    NOT_GLOBAL = "not_global"
    DNS_FAILED = "dns_failed"


@dataclass(frozen=True)
class NetDecision:
    allowed: bool
    reason: str = ""
    addresses: tuple[str, ...] = ()


Resolver = Callable[[str], Iterable[str]]


def resolve_host(host: str) -> list[str]:
    """All addresses ``host`` resolves to (A and AAAA), as strings."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def classify_address(ip: IPAddress) -> Refusal | None:
    """Why ``ip`` must not be fetched by default, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 on the wire
    if ip in CLOUD_METADATA:
        return Refusal.CLOUD_METADATA
    if ip.is_unspecified:
        return Refusal.UNSPECIFIED
    if ip.is_loopback:
        return Refusal.LOOPBACK
    if ip.is_link_local:
        return Refusal.LINK_LOCAL
    if ip.is_multicast:
        return Refusal.MULTICAST
    if ip.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return Refusal.RESERVED
    if ip.is_private:
        return Refusal.PRIVATE
    if not ip.is_global:  # e.g. carrier-grade NAT 100.64.0.0/10
        return Refusal.NOT_GLOBAL
    return None


class NetGuard:
    """Decides per host; decisions are cached for the life of one crawl process."""

    def __init__(self, allowed_networks: Iterable[str] = (), resolver: Resolver = resolve_host):
        self._networks: list[IPNetwork] = []
        self._hosts: set[str] = set()
        for entry in allowed_networks:
            entry = entry.strip()
            if not entry:
                continue
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._hosts.add(entry.lower().rstrip("."))
        self._resolver = resolver
        self._cache: dict[str, NetDecision] = {}

    def check(self, host: str) -> NetDecision:
        host = host.lower().strip("[]").rstrip(".")
        decision = self._cache.get(host)
        if decision is None:
            decision = self._decide(host)
            self._cache[host] = decision
            if not decision.allowed:
                logger.info("refusing host %s: %s", host, decision.reason)
        return decision

    def check_address(self, host: str, address: str) -> NetDecision:
        """Decide on the address a connection to ``host`` is about to use (no DNS)."""
        host = host.lower().strip("[]").rstrip(".")
        if host in self._hosts:
            return NetDecision(True, "allowed_host", (address,))
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return NetDecision(False, f"{Refusal.DNS_FAILED}: {address!r}")
        if any(ip in net for net in self._networks):
            return NetDecision(True, "", (address,))
        refusal = classify_address(ip)
        if refusal is not None:
            return NetDecision(False, f"{refusal}: {ip}", (address,))
        return NetDecision(True, "", (address,))

    def _decide(self, host: str) -> NetDecision:
        if host in self._hosts:
            return NetDecision(True, "allowed_host")
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = [ipaddress.ip_address(a) for a in self._resolver(host)]
            except (OSError, UnicodeError, ValueError) as exc:
                return NetDecision(False, f"{Refusal.DNS_FAILED}: {exc}")
            if not addresses:
                return NetDecision(False, Refusal.DNS_FAILED.value)
        shown = tuple(str(a) for a in addresses)
        # Every address must pass: the connection may use any of them.
        for ip in addresses:
            if any(ip in net for net in self._networks):
                continue
            refusal = classify_address(ip)
            if refusal is not None:
                return NetDecision(False, f"{refusal}: {ip}", shown)
        return NetDecision(True, "", shown)
