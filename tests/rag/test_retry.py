"""The one retry policy: Retry-After in both forms, capped exponential backoff with jitter."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from rag.retry import RetryPolicy, parse_retry_after, retry_after_from_headers

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (b"120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),  # not RFC 9110, but what some APIs send
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),  # a date in the future
        (b"Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),  # a date in the past: at once
        ("Thu, 01 Jan 2026 12:01:00 -0000", 60.0),  # no zone given: GMT
        ("soon", None),
        ("-5", None),
        ("5s", None),
        ("Thu, 99 Foo 2026", None),
        ("", None),
        (b"  ", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_a_huge_retry_after_stays_huge_and_the_policy_caps_it():
    huge = parse_retry_after("9" * 400, now=NOW)
    far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW)
    policy = RetryPolicy(attempts=3, base_s=1.0, cap_s=60.0)

    assert math.isinf(huge)
    assert far > 60.0 * 60 * 24 * 365 * 7000
    assert policy.exceeds_cap(huge) and policy.exceeds_cap(far)
    assert policy.delay(1, retry_after=huge) == 60.0
    assert policy.delay(1, retry_after=far) == 60.0


@pytest.mark.parametrize(
    ("retry", "expected"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (50, 60.0), (5000, 60.0)],
)
def test_backoff_doubles_up_to_the_cap(retry, expected):
    policy = RetryPolicy(attempts=10, base_s=1.0, cap_s=60.0, jitter=0.0)
    assert policy.delay(retry) == expected


@pytest.mark.parametrize(
    ("jitter", "rand", "expected"),
    [
        (1.0, 0.0, 0.0),  # full jitter: anything from nothing...
        (1.0, 0.25, 1.0),
        (1.0, 1.0, 4.0),  # ...to the ceiling
        (0.5, 0.0, 2.0),  # half jitter keeps at least half
        (0.5, 1.0, 4.0),
        (0.0, 0.7, 4.0),  # no jitter
    ],
)
def test_jitter_takes_its_share_off_the_ceiling(jitter, rand, expected):
    policy = RetryPolicy(attempts=5, base_s=1.0, cap_s=30.0, jitter=jitter)
    assert policy.delay(3, rand=lambda: rand) == pytest.approx(expected)


def test_jittered_waits_stay_within_their_bounds():
    policy = RetryPolicy(attempts=5, base_s=2.0, cap_s=30.0, jitter=0.5)
    waits = [policy.delay(2) for _ in range(200)]
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 1  # random, so workers do not retry in lockstep


@pytest.mark.parametrize(
    ("retry_after", "rand", "expected"),
    [
        (7.0, 0.0, 7.0),  # the server's ask is a floor...
        (0.5, 1.0, 4.0),  # ...not a reason to retry sooner than the backoff
        (0.0, 1.0, 4.0),
        (120.0, 0.5, 30.0),  # ...and never past the cap
    ],
)
def test_retry_after_is_a_floor_under_the_cap(retry_after, rand, expected):
    policy = RetryPolicy(attempts=5, base_s=1.0, cap_s=30.0)
    assert policy.delay(3, retry_after=retry_after, rand=lambda: rand) == expected
    assert policy.exceeds_cap(retry_after) is (retry_after > 30.0)


def test_attempts_count_the_retries():
    policy = RetryPolicy(attempts=2, base_s=1.0, cap_s=5.0)
    assert [policy.allows(retry) for retry in (1, 2, 3)] == [True, True, False]
    assert not policy.exceeds_cap(None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": -1, "base_s": 1.0, "cap_s": 1.0},
        {"attempts": 1, "base_s": -1.0, "cap_s": 1.0},
        {"attempts": 1, "base_s": 1.0, "cap_s": 1.0, "jitter": 1.5},
    ],
)
def test_a_policy_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer one wins
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "9"}, 9.0),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_from_headers(headers, seconds):
    assert retry_after_from_headers(headers) == seconds
