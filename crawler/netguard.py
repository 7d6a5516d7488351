"""SSRF guard: the crawler fetches only public addresses unless the operator allows more.

A crawl follows links and redirects chosen by someone else's website, so every request —
the first one and each redirect hop, robots.txt and sitemaps included — is checked here
(``crawler.middlewares.NetGuardMiddleware`` calls ``NetGuard.check``), and the address each
connection uses is checked again at connect time (``crawler.resolver``: DNS rebinding).

What the operator allows (``CRAWLER_ALLOWED_NETWORKS``), precisely:

- a network or address, ``10.1.2.0/24`` or ``10.1.2.3``: every address in it, every port;
- a host name, ``intranet.example.org``: that exact name (no subdomains) on ports 80 and 443,
  and ``intranet.example.org:8080`` on port 8080 only. The addresses it resolves to may be
  private (RFC 1918, IPv6 unique-local, carrier-grade NAT), never loopback, link-local, cloud
  metadata, multicast, unspecified or reserved: a DNS change must not turn an intranet name
  into a way to the crawler's own host. Such addresses need a network entry;
- anything else is refused when the settings are read (:func:`parse_allowed`).
"""

from __future__ import annotations

import ipaddress
import logging
import re
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

DEFAULT_PORTS = frozenset({80, 443})
# What an allowed host name may resolve to beyond public addresses.
HOST_ENTRY_MAY_REACH = frozenset({Refusal.PRIVATE, Refusal.NOT_GLOBAL})


@dataclass(frozen=True)
class AllowedHost:
    """One host-name entry: the exact name and the ports it is allowed on."""

    name: str
    ports: frozenset[int]


def _normal_host(host: str) -> str:
    return host.strip().lower().strip("[]").rstrip(".")


def parse_allowed(entries: Iterable[str]) -> tuple[list[IPNetwork], dict[str, AllowedHost]]:
    """``CRAWLER_ALLOWED_NETWORKS`` entries as networks and host-name entries.

    Raises ``ValueError`` naming an entry that is neither a network nor ``host[:port]``.
    """
    networks: list[IPNetwork] = []
    hosts: dict[str, AllowedHost] = {}
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        name, _, port_text = entry.rpartition(":") if ":" in entry else (entry, "", "")
        if not _HOST_NAME.fullmatch(name) or (port_text and not port_text.isdigit()):
            raise ValueError(
                f"{entry!r} is neither a network (10.0.0.0/8) nor a host name with an "
                "optional port (intranet.example.org or intranet.example.org:8080)"
            )
        port = int(port_text) if port_text else None
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"{entry!r}: the port must be between 1 and 65535")
        name = _normal_host(name)
        ports = frozenset({port}) if port else DEFAULT_PORTS
        known = hosts.get(name)
        hosts[name] = AllowedHost(name, ports | (known.ports if known else frozenset()))
    return networks, hosts


# letters, digits, hyphens and dots, not all digits and dots (that would be an address)
_HOST_NAME = re.compile(r"(?=.*[a-zA-Z-])[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.?")


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
    """Decides per host and port; decisions are cached for the life of one crawl process."""

    def __init__(self, allowed_networks: Iterable[str] = (), resolver: Resolver = resolve_host):
        self._networks, self._hosts = parse_allowed(allowed_networks)
        self._resolver = resolver
        self._cache: dict[tuple[str, int | None], NetDecision] = {}

    def check(self, host: str, port: int | None = None) -> NetDecision:
        """Decide for a request to ``host`` on ``port`` (None: the scheme's default)."""
        host = _normal_host(host)
        decision = self._cache.get((host, port))
        if decision is None:
            decision = self._decide(host, port)
            self._cache[(host, port)] = decision
            if not decision.allowed:
                logger.info("refusing host %s: %s", host, decision.reason)
        return decision

    def check_address(self, host: str, address: str) -> NetDecision:
        """Decide on the address a connection to ``host`` is about to use (no DNS, no port:
        :meth:`check` decided on the port before the request was sent)."""
        host = _normal_host(host)
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return NetDecision(False, f"{Refusal.DNS_FAILED}: {address!r}")
        refusal = self._refusal(ip, host in self._hosts)
        if refusal is not None:
            return NetDecision(False, refusal, (address,))
        return NetDecision(True, "", (address,))

    def _refusal(self, ip: IPAddress, named_by_operator: bool) -> str | None:
        if any(ip in net for net in self._networks):
            return None
        refusal = classify_address(ip)
        if refusal is None or (named_by_operator and refusal in HOST_ENTRY_MAY_REACH):
            return None
        return f"{refusal}: {ip}"

    def _decide(self, host: str, port: int | None) -> NetDecision:
        allowed_host = self._hosts.get(host)
        named = allowed_host is not None and (
            port in allowed_host.ports
            if port is not None
            else bool(allowed_host.ports & DEFAULT_PORTS)
        )
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
            refusal = self._refusal(ip, named)
            if refusal is not None:
                if allowed_host is not None and not named:
                    ports = ", ".join(str(p) for p in sorted(allowed_host.ports))
                    refusal += f" ({host} is allowed on port {ports} only)"
                return NetDecision(False, refusal, shown)
        return NetDecision(True, "allowed_host" if named else "", shown)
