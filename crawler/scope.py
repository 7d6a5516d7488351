"""URL normalisation and the scope decision: which URLs a crawl of a source may fetch.

Pure functions. The normalised URL is also the page store key, so two spellings of one page
(fragment, tracking parameters, default port, query order, host case) are fetched and stored
once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from crawler.config import CrawlConfig

# re-exported: the backend validates editors' patterns with the engine that matches them
from crawler.patterns import MAX_PATTERN_CHARS as MAX_PATTERN_CHARS
from crawler.patterns import MAX_PATTERNS as MAX_PATTERNS
from crawler.patterns import PatternError as PatternError
from crawler.patterns import PatternSet
from crawler.patterns import check_pattern as check_pattern

# Parameters that only say where a visitor came from; they never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "wt_mc",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "matomo_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in paths and queries; everything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = ":@!$'()*,;/?-._~%"
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


class ScopeReason(StrEnum):
    IN_SCOPE = "in_scope"
    NOT_HTTP = "not_http"
    OUT_OF_SCOPE_DOMAIN = "out_of_scope_domain"
    EXCLUDED_PATTERN = "excluded_pattern"
    NOT_INCLUDED = "not_included"
    TOO_DEEP = "too_deep"


class InvalidURL(ValueError):
    """The text cannot be read as an http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(
    url: str, *, keep_trailing_slash: bool = True, strip_params: tuple[str, ...] = ()
) -> str:
    """Return the canonical spelling of an http(s) URL; raise InvalidURL otherwise.

    Idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"{url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"{url!r}: not an http(s) URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"{url!r}: no host")
    if ":" in host:  # IPv6 literal; urlsplit dropped the brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    path = _fix_escapes(quote(parts.path, safe=_PATH_SAFE)) or "/"
    if not keep_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"

    dropped = {p.lower() for p in strip_params}
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k) and k.lower() not in dropped
    ]
    query = _fix_escapes(urlencode(sorted(params), quote_via=quote, safe=_QUERY_SAFE))
    # Userinfo is dropped on purpose: credentials never belong in a stored page key.
    return urlunsplit((scheme, netloc, path, query, ""))


def _fix_escapes(text: str) -> str:
    # "%2f" and "%2F" are the same byte; one spelling keeps the key unique.
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), text)


NORMALIZED_KEPT = 100_000  # normalised spellings a Scope remembers before it starts over


def host_matches(host: str, domains: tuple[str, ...]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one."""
    host = host.lower().rstrip(".")
    for domain in domains:
        domain = domain.lower().lstrip(".").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


@dataclass(frozen=True)
class Scope:
    """A source's scope with its patterns compiled once; build with ``Scope.from_config``."""

    domains: tuple[str, ...]
    include: PatternSet
    exclude: PatternSet
    max_depth: int
    keep_trailing_slash: bool = True
    strip_params: tuple[str, ...] = ()
    _normalized: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: CrawlConfig) -> Scope:
        return cls(
            domains=config.effective_allowed_domains,
            include=PatternSet(config.include_patterns),
            exclude=PatternSet(config.exclude_patterns),
            max_depth=config.max_depth,
            keep_trailing_slash=config.keep_trailing_slash,
            strip_params=config.strip_query_params,
        )

    def normalize(self, url: str) -> str:
        # A site links the same URLs from every page: remember the answers (bounded).
        key = self._normalized.get(url)
        if key is None:
            key = normalize_url(
                url, keep_trailing_slash=self.keep_trailing_slash, strip_params=self.strip_params
            )
            if len(self._normalized) >= NORMALIZED_KEPT:
                self._normalized.clear()
            self._normalized[url] = key
        return key

    def check(self, url: str, depth: int = 0) -> ScopeReason:
        """Decide for a normalised URL found at ``depth`` (start URLs are depth 0)."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return ScopeReason.NOT_HTTP
        if not host_matches(parts.hostname, self.domains):
            return ScopeReason.OUT_OF_SCOPE_DOMAIN
        if self.exclude.matches(url):
            return ScopeReason.EXCLUDED_PATTERN
        if self.include and not self.include.matches(url):
            return ScopeReason.NOT_INCLUDED
        if depth > self.max_depth:
            return ScopeReason.TOO_DEEP
        return ScopeReason.IN_SCOPE


def check_scope(url: str, depth: int, config: CrawlConfig) -> ScopeReason:
    """Normalise ``url`` and decide whether the crawl of ``config``'s source may fetch it."""
    scope = Scope.from_config(config)
    try:
        normalised = scope.normalize(url)
    except InvalidURL:
        return ScopeReason.NOT_HTTP
    return scope.check(normalised, depth)
