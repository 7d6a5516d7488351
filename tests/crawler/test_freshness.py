"""How long a stored copy stays fresh, by the HTTP caching rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.freshness import (
    cache_directives,
    explicit_lifetime,
    fresh_until,
    http_date,
    is_fresh,
    unchanged_since,
)

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_http_dates_are_read_as_utc_and_garbage_is_none():
    assert http_date("Sat, 21 Nov 2026 12:00:00 GMT") == T0
    assert http_date("Sunday, 06-Nov-94 08:49:37 GMT") == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )
    assert http_date("morgen früh") is None
    assert http_date("") is None
    assert http_date(None) is None


def test_cache_control_directives():
    assert cache_directives('public, Max-Age="600", no-transform') == {
        "public": "",
        "max-age": "600",
        "no-transform": "",
    }
    assert cache_directives(None) == {}


@pytest.mark.parametrize(
    ("cache_control", "expires", "date", "lifetime"),
    [
        ("max-age=600", None, None, 600.0),
        ("public, max-age=600", "Sat, 01 Jan 2000 00:00:00 GMT", None, 600.0),  # max-age wins
        ("no-cache, max-age=600", None, None, 0.0),
        ("no-store", None, None, 0.0),
        ("max-age=soon", None, None, 0.0),
        (None, "Sun, 22 Nov 2026 12:00:00 GMT", "Sat, 21 Nov 2026 12:00:00 GMT", 86400.0),
        (None, "Fri, 20 Nov 2026 12:00:00 GMT", "Sat, 21 Nov 2026 12:00:00 GMT", 0.0),
        (None, "0", None, 0.0),  # an invalid Expires means "already expired"
        ("private", None, None, None),  # says nothing about freshness: heuristic
        (None, None, None, None),
    ],
)
def test_explicit_lifetime(cache_control, expires, date, lifetime):
    assert explicit_lifetime(cache_control, expires, date) == lifetime


def test_unchanged_since_prefers_a_change_lotse_saw_over_a_stale_last_modified():
    year_ago = "Thu, 21 Nov 2025 12:00:00 GMT"
    first_seen = T0 - 30 * DAY
    # never seen changing: the server's word
    assert unchanged_since(year_ago, first_seen, first_seen) == T0 - 365 * DAY
    # Lotse saw a change 2 days ago although Last-Modified says a year: the later one
    assert unchanged_since(year_ago, first_seen, T0 - 2 * DAY) == T0 - 2 * DAY
    # no Last-Modified: since Lotse first saw it, or since the change it saw
    assert unchanged_since(None, first_seen, first_seen) == first_seen
    assert unchanged_since(None, first_seen, T0 - DAY) == T0 - DAY
    assert unchanged_since("kaputt", None, None) is None


def test_fresh_until_explicit_or_a_tenth_of_the_age():
    common = dict(verified_at=T0, expires=None, date=None, first_seen=T0, last_changed=T0)
    assert fresh_until(
        cache_control="max-age=3600", last_modified=None, **common
    ) == T0 + timedelta(hours=1)
    hundred_days = "Thu, 13 Aug 2026 12:00:00 GMT"
    assert fresh_until(cache_control=None, last_modified=hundred_days, **common) == T0 + 10 * DAY
    # no-cache beats any heuristic
    assert fresh_until(cache_control="no-cache", last_modified=hundred_days, **common) == T0
    # a new page without Last-Modified: no age, so not fresh at all
    assert fresh_until(cache_control=None, last_modified=None, **common) == T0
    # a page Lotse has seen unchanged for 20 days: fresh for 2
    aged = dict(common, first_seen=T0 - 20 * DAY, last_changed=T0 - 20 * DAY)
    assert fresh_until(cache_control=None, last_modified=None, **aged) == T0 + 2 * DAY


def test_is_fresh_is_capped_by_the_editors_maximum():
    until = T0 + 30 * DAY
    assert is_fresh(until, T0, max_days=7, now=T0 + 6 * DAY)
    assert not is_fresh(until, T0, max_days=7, now=T0 + 7 * DAY)  # the cap
    assert not is_fresh(T0 + DAY, T0, max_days=7, now=T0 + 2 * DAY)  # expired
    assert not is_fresh(None, T0, max_days=7, now=T0)
    assert not is_fresh(until, None, max_days=7, now=T0)


def test_absurd_lifetimes_are_bounded():
    common = dict(verified_at=T0, date=None, last_modified=None, first_seen=T0, last_changed=T0)
    huge = fresh_until(cache_control="max-age=" + "9" * 30, expires=None, **common)
    far = fresh_until(cache_control=None, expires="Fri, 31 Dec 9999 23:59:59 GMT", **common)
    assert huge == far == T0 + timedelta(days=366)
    # a Last-Modified in the future (a wrong server clock): no age, not fresh
    future = dict(common, last_modified="Mon, 01 Jan 2035 00:00:00 GMT")
    assert fresh_until(cache_control=None, expires=None, **future) == T0
