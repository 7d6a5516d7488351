"""How long a stored copy stays fresh, by the HTTP caching rules (RFC 9111, section 4.2).

Used by sources that check unchanged pages only when their copy may be stale (the "when
stale" revisit policy): a page is not requested again while its copy is fresh. Plain
functions over header values and times; no Scrapy, so the page store can use them too.

* Explicit freshness: ``Cache-Control: max-age`` or ``Expires`` (relative to ``Date``).
  ``no-cache``, ``no-store``, ``max-age=0`` or an unreadable ``Expires``: never fresh.
* Otherwise the heuristic every HTTP cache uses: a tenth of the time the page has been
  unchanged. "Unchanged since" is the server's ``Last-Modified``, unless Lotse saw the page
  change later than that (servers of generated pages often send a stale Last-Modified); a
  page with neither is unchanged since Lotse first saw it.

The editor's "at the latest every N days" caps all of this where the decision is made
(``is_fresh``), so a server claiming a year of freshness cannot hide a page for long.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# The fraction of a page's age that its copy is taken to stay fresh without explicit
# freshness (RFC 9111 4.2.2: "a typical setting of this fraction might be 10%").
HEURISTIC_FRACTION = 0.1
# No copy is taken as fresh for longer than this, whatever a header claims (the editor's own
# maximum is at most 365 days); it also keeps absurd values from overflowing a datetime.
MAX_LIFETIME = timedelta(days=366)


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date header value as an aware UTC datetime, or None if absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cache_directives(value: str | None) -> dict[str, str]:
    """``Cache-Control`` as {directive: argument}, names lower-cased, quotes dropped."""
    directives: dict[str, str] = {}
    for part in (value or "").split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def explicit_lifetime(
    cache_control: str | None, expires: str | None, date: str | None
) -> float | None:
    """Seconds of freshness the server states, 0 for "always revalidate", None if it says
    nothing (then the heuristic applies)."""
    directives = cache_directives(cache_control)
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    if "max-age" in directives:
        argument = directives["max-age"]
        return float(argument) if argument.isdigit() else 0.0
    if expires is not None:
        expires_at = http_date(expires)
        if expires_at is None:  # an invalid Expires means "already expired"
            return 0.0
        sent_at = http_date(date) or datetime.now(UTC)
        return max(0.0, (expires_at - sent_at).total_seconds())
    return None


def unchanged_since(
    last_modified: str | None, first_seen: datetime | None, last_changed: datetime | None
) -> datetime | None:
    """Since when the page is known to be unchanged (see the module docstring)."""
    server = http_date(last_modified)
    seen_change = (
        last_changed if first_seen and last_changed and last_changed > first_seen else None
    )
    if server is not None:
        return max(server, seen_change) if seen_change else server
    return seen_change or first_seen


def fresh_until(
    *,
    verified_at: datetime,
    cache_control: str | None,
    expires: str | None,
    date: str | None,
    last_modified: str | None,
    first_seen: datetime | None,
    last_changed: datetime | None,
) -> datetime:
    """Until when the copy the server confirmed at ``verified_at`` counts as fresh."""
    lifetime = explicit_lifetime(cache_control, expires, date)
    if lifetime is None:
        since = unchanged_since(last_modified, first_seen, last_changed)
        age = (verified_at - since).total_seconds() if since else 0.0
        lifetime = HEURISTIC_FRACTION * max(0.0, age)
    return verified_at + timedelta(seconds=min(lifetime, MAX_LIFETIME.total_seconds()))


def is_fresh(
    fresh_until_at: datetime | None,
    last_verified: datetime | None,
    *,
    max_days: float,
    now: datetime | None = None,
) -> bool:
    """True while a copy is fresh and the server confirmed it at most ``max_days`` ago."""
    if fresh_until_at is None or last_verified is None:
        return False
    now = now or datetime.now(UTC)
    return now < fresh_until_at and now - last_verified < timedelta(days=max_days)
