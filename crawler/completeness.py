"""Whether a crawl saw the whole site: a site that is down must never look empty.

A crawl whose frontier ran dry is still *incomplete* when the site did not really answer:
a start URL, a sitemap or a start host's robots.txt could not be fetched (refused, DNS,
timeout, 5xx after the retries), or more than a bounded share of the pages the store already
knows failed transiently. Only a complete crawl lets the caller treat unseen pages as gone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Answers that say "try again later", not "this page does not exist" (and every 5xx).
TRANSIENT_STATUSES = frozenset({408, 425, 429})
# Reasons of failed requests (crawler.failures) that are the site's or network's trouble.
TRANSIENT_REASONS = frozenset({"timeout", "dns_failed", "connection_refused"})
# Finish reasons of an incomplete crawl the site is to blame for.
SITE_UNREACHABLE = "site_unreachable"
TOO_MANY_FAILURES = "too_many_failures"


def is_transient(reason: str, status: int | None = None) -> bool:
    """A failure that may well go away at the next crawl (the page is not known to be gone)."""
    if status is not None:
        return status >= 500 or status in TRANSIENT_STATUSES
    if reason in TRANSIENT_REASONS:
        return True
    if reason.startswith("http_"):
        code = reason[5:]
        return code.isdigit() and is_transient("", int(code))
    # Connection lost, reset, TLS handshake failures … (reported by exception name).
    return ":" in reason and not reason.startswith(("refused_address", "redirect_", "store_error"))


@dataclass
class Unreachable:
    """A fetch the crawl needed and did not get."""

    what: str  # "start_url", "sitemap" or "robots"
    url: str
    reason: str


@dataclass
class CompletenessTracker:
    max_failed_share: float = 0.1
    unreachable: list[Unreachable] = field(default_factory=list)
    known_answered: int = 0
    known_failed: int = 0

    def needed_fetch_failed(self, what: str, url: str, reason: str, status=None) -> None:
        if is_transient(reason, status):
            self.unreachable.append(Unreachable(what, url, reason))

    def page_answered(self, *, known: bool) -> None:
        if known:
            self.known_answered += 1

    def page_failed(self, *, known: bool, reason: str, status: int | None) -> None:
        if known and is_transient(reason, status):
            self.known_failed += 1

    @property
    def failed_share(self) -> float:
        asked = self.known_answered + self.known_failed
        return self.known_failed / asked if asked else 0.0

    def verdict(self, complete: bool, finish_reason: str) -> tuple[bool, str]:
        """(complete, finish_reason) once the site's answers are taken into account."""
        if not complete:
            return False, finish_reason
        if self.unreachable:
            return False, SITE_UNREACHABLE
        if self.failed_share > self.max_failed_share:
            return False, TOO_MANY_FAILURES
        return True, finish_reason

    def report(self) -> dict:
        """Fields of the crawl's "finished" event."""
        return {
            "unreachable": [asdict(item) for item in self.unreachable[:20]],
            "known_failed": self.known_failed,
            "known_answered": self.known_answered,
        }
