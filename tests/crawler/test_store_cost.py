"""Every per-page operation of the page store touches as much in a store of 10,000 pages as in
one of 10: it goes by key or through an index, never through the whole collection.

Counted, not timed: SQLite's virtual machine steps (a scan takes steps in proportion to the rows
it reads; an index lookup the same few), MongoDB's documents and index keys examined (its
profiler). The pymongo-API stand-in has neither, see tests/crawler/store_adapters.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.crawler.store_adapters import ADAPTERS, make_harness

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
SMALL, LARGE = 10, 10_000


@pytest.fixture(params=ADAPTERS)
def harness(request, tmp_path):
    yield from make_harness(request.param, tmp_path)


def fill(store, pages: int, *, start: int = 0) -> None:
    for i in range(start, pages):
        store.record_fetch(
            f"https://filler.example/{i}",
            source_id="s1",
            status=200,
            body=f"<p>{i}</p>".encode(),
            run_id="r1",
            page_kind="html",
            links=[],
            now=T0,
        )


def big_body(store, text: str) -> bytes:
    return text.encode() + b"x" * store.inline_body_max


def operations(store, host: str) -> dict[str, object]:
    """One of each per-page call the crawler and the backend make, on pages of their own."""
    url = f"https://{host}/page"
    pdf = f"https://{host}/file.pdf"
    t1 = T0 + timedelta(hours=1)

    def fetch(body, *, target=url, **kwargs):
        kwargs.setdefault("now", t1)
        return lambda: store.record_fetch(
            target, source_id="s1", status=200, body=body, page_kind="html", links=[], **kwargs
        )

    return {
        "get_page of an unknown URL": lambda: store.get_page(url),
        "record_fetch, new": fetch(b"<p>one</p>", cache_control="max-age=86400"),
        "get_page": lambda: store.get_page(url),
        "load_body": lambda: store.load_body(url),
        "record_fetch, unchanged": fetch(b"<p>one</p>", cache_control="max-age=86400"),
        "record_fetch, 304": lambda: store.record_fetch(
            url, source_id="s1", status=304, not_modified=True, now=t1
        ),
        "unchanged_per_sitemap": lambda: store.unchanged_per_sitemap(
            url, source_id="s1", run_id="r2", lastmod=T0, trust_days=7, now=t1
        ),
        "unchanged_while_fresh": lambda: store.unchanged_while_fresh(
            store.get_page(url), source_id="s1", run_id="r3", max_days=7, now=t1
        ),
        "record_fetch, changed": fetch(b"<p>two</p>"),
        "record_fetch, large body": fetch(big_body(store, "v1"), target=pdf),
        "load_body, large body": lambda: store.load_body(pdf),
        "record_fetch, large body changed": fetch(big_body(store, "v2"), target=pdf),
        "mark_gone, large body": lambda: store.mark_gone(pdf, status=404),
        "mark_gone": lambda: store.mark_gone(url, status=410),
        "mark_gone again": lambda: store.mark_gone(url, status=410),
    }


def cost_per_operation(harness, store, host: str) -> dict[str, int]:
    costs = {}
    for name, call in operations(store, host).items():
        with harness.meter(store) as counted:
            call()
        costs[name] = counted[0]
    return costs


def test_per_page_operations_cost_the_same_in_a_small_and_a_large_store(harness):
    if harness.meter is None:
        pytest.skip(f"{harness.name} cannot count what a query touches")
    store = harness.store()
    fill(store, SMALL)
    small = cost_per_operation(harness, store, "first.example")
    fill(store, LARGE, start=SMALL)
    large = cost_per_operation(harness, store, "second.example")
    assert all(cost > 0 for cost in small.values()), small  # the meter counts something
    assert large == small


def test_the_meter_sees_a_scan(harness):
    """The check above can fail: a query that reads every page costs in proportion."""
    if harness.meter is None:
        pytest.skip(f"{harness.name} cannot count what a query touches")
    store = harness.store()
    fill(store, SMALL)
    with harness.meter(store) as few:
        store.urls_seen_for_source("s1")
    fill(store, 10 * SMALL, start=SMALL)
    with harness.meter(store) as many:
        store.urls_seen_for_source("s1")
    assert many[0] > 5 * few[0]
