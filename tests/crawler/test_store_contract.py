"""The page store's contract: every adapter passes every test here (tests/crawler/store_adapters.py
says which adapters run where, and what the pymongo-API stand-in does not cover)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from crawler.store import MAX_KEPT_LINKS, ChangeKind, records
from tests.crawler.store_adapters import ADAPTERS, make_harness

URL = "https://example.org/a?utm_source=x"
KEY = "https://example.org/a"


@pytest.fixture(params=ADAPTERS)
def harness(request, tmp_path):
    yield from make_harness(request.param, tmp_path)


@pytest.fixture
def store(harness):
    return harness.store()


def record(store, body, url=URL, **kwargs):
    kwargs.setdefault("source_id", "s1")
    kwargs.setdefault("status", 200)
    return store.record_fetch(url, body=body, content_type="text/html", **kwargs)


def big(store, text: bytes) -> bytes:
    """A body the store keeps out of line."""
    return b"%PDF-1.4 " + text + b"x" * store.inline_body_max


def test_unknown_url(store):
    assert store.get_page(URL) is None
    assert store.load_body(URL) is None
    assert store.mark_gone(URL, status=404) is False
    store.ping()


def test_new_changed_unchanged(store):
    t0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert record(store, b"<p>one</p>", etag='"v1"', now=t0, title="One") is ChangeKind.NEW
    t1 = t0 + timedelta(hours=1)
    assert record(store, b"<p>one</p>", etag='"v1"', now=t1) is ChangeKind.UNCHANGED
    t2 = t0 + timedelta(hours=2)
    assert record(store, b"<p>two</p>", etag='"v2"', now=t2) is ChangeKind.CHANGED

    page = store.get_page(KEY)
    assert page.url == KEY
    assert page.etag == '"v2"'
    assert page.first_seen == t0.replace(microsecond=123000)  # stores keep milliseconds
    assert page.last_seen == page.last_changed == t2.replace(microsecond=123000)
    assert page.sources == ("s1",)
    assert page.has_body and page.status == 200 and page.content_type == "text/html"
    assert store.load_body(URL) == b"<p>two</p>"


def test_not_modified_keeps_body_and_validators(store):
    record(store, b"body", etag='"v1"', last_modified="Mon, 01 Jan 2026 00:00:00 GMT")
    kind = store.record_fetch(URL, source_id="s1", status=304, not_modified=True, run_id="r2")
    assert kind is ChangeKind.UNCHANGED
    page = store.get_page(URL)
    assert (page.status, page.etag, page.run_id) == (200, '"v1"', "r2")
    assert page.last_modified == "Mon, 01 Jan 2026 00:00:00 GMT"
    assert store.load_body(URL) == b"body"


def test_not_modified_without_a_copy_is_an_error_and_stores_nothing(store):
    with pytest.raises(ValueError, match="no copy"):
        store.record_fetch(URL, source_id="s1", status=304, not_modified=True)
    assert store.get_page(URL) is None


def test_a_fetch_needs_a_body(store):
    with pytest.raises(ValueError, match="needs a body"):
        store.record_fetch(URL, source_id="s1", status=200)


def test_bodies_of_every_size_round_trip(store, harness):
    for size in (0, 1, store.inline_body_max, store.inline_body_max + 1, 3 * 1024 * 1024):
        body = bytes(range(256)) * (size // 256) + b"\x00" * (size % 256)
        record(store, body)
        assert store.load_body(URL) == body, size
        assert store.get_page(URL).content_hash is not None
    assert harness.out_of_line_bodies() == 1  # the 3 MB one; the others were dropped


def test_a_changed_or_gone_page_frees_its_large_body(store, harness):
    assert record(store, big(store, b"v1")) is ChangeKind.NEW
    assert harness.out_of_line_bodies() == 1
    record(store, b"small now")
    assert harness.out_of_line_bodies() == 0
    assert store.load_body(URL) == b"small now"
    record(store, big(store, b"v2"))
    assert store.mark_gone(URL, status=404) is True
    assert harness.out_of_line_bodies() == 0


def test_pages_with_the_same_large_body_share_it_until_the_last_one_changes(store, harness):
    shared = big(store, b"shared")
    record(store, shared, url="https://example.org/one.pdf")
    record(store, shared, url="https://example.org/two.pdf")
    assert harness.out_of_line_bodies() == 1
    record(store, b"other", url="https://example.org/one.pdf")
    assert store.load_body("https://example.org/two.pdf") == shared
    store.mark_gone("https://example.org/two.pdf")
    assert harness.out_of_line_bodies() == 0


def test_gone_and_back(store):
    record(store, b"body", run_id="r1")
    assert store.mark_gone(URL, status=410, run_id="r2") is True
    assert store.mark_gone(URL, status=410) is False
    page = store.get_page(URL)
    assert page.gone and not page.has_body and page.run_id == "r2" and page.etag is None
    assert store.load_body(URL) is None
    assert store.urls_seen_for_source("s1") == set()
    assert record(store, b"body") is ChangeKind.NEW
    assert store.load_body(URL) == b"body"


def test_urls_by_source_and_run(store):
    store.record_fetch("https://e.org/1", source_id="s1", status=200, body=b"1", run_id="r1")
    store.record_fetch("https://e.org/2", source_id="s1", status=200, body=b"2", run_id="r1")
    store.record_fetch("https://e.org/3", source_id="s2", status=200, body=b"3", run_id="r9")
    store.record_fetch("https://e.org/1", source_id="s1", status=200, body=b"1", run_id="r2")
    store.record_fetch("https://e.org/3", source_id="s1", status=200, body=b"3", run_id="r2")
    assert store.urls_seen_for_source("s1") == {
        "https://e.org/1",
        "https://e.org/2",
        "https://e.org/3",
    }
    assert store.urls_seen_for_source("s1", run_id="r2") == {"https://e.org/1", "https://e.org/3"}
    assert store.urls_not_seen_in_run("s1", "r2") == {"https://e.org/2"}
    assert store.urls_seen_for_source("s2") == {"https://e.org/3"}
    assert store.get_page("https://e.org/3").sources == ("s1", "s2")
    store.mark_gone("https://e.org/2")
    assert store.urls_not_seen_in_run("s1", "r2") == set()


def test_store_survives_reopening(harness):
    first = harness.store()
    first.record_fetch(URL, source_id="s1", status=200, body=b"kept")
    first.close()
    second = harness.store()
    assert second.load_body(URL) == b"kept"


def test_two_stores_on_one_backing_see_each_others_writes(harness):
    # crawl child, web process and ingest threads each open the store
    first, second = harness.store(), harness.store()
    assert second.get_page(URL) is None
    first.record_fetch(URL, source_id="s1", status=200, body=b"first")
    assert second.load_body(URL) == b"first"
    second.record_fetch(URL, source_id="s2", status=200, body=b"second")
    assert first.load_body(URL) == b"second"
    assert first.get_page(URL).sources == ("s1", "s2")


def test_concurrent_writers_of_one_page_lose_nothing(harness):
    """Crawls of two sources that share a URL: each source ends up in the page's sources."""
    if harness.name == "pymongo-api stand-in":
        pytest.skip("mongomock's updates are not atomic across threads; needs a MongoDB server")
    stores = [harness.store() for _ in range(4)]
    errors: list[BaseException] = []

    def crawl(store, source_id):
        try:
            for round_ in range(15):
                body = f"{source_id} {round_}".encode()
                store.record_fetch(URL, source_id=source_id, status=200, body=body)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=crawl, args=(store, f"s{i}")) for i, store in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    page = stores[0].get_page(URL)
    assert page.sources == ("s0", "s1", "s2", "s3")
    assert stores[0].load_body(URL) in {f"s{i} 14".encode() for i in range(4)}
    assert len([h for h in page_history(stores[0]) if h]) == 10  # capped at HISTORY_LENGTH


def test_a_write_between_our_read_and_our_write_is_not_lost(harness):
    """Another process writes the page while we are between reading and storing it: either it
    waits for us (SQLite's lock) or we notice and redo our change (MongoDB's rev)."""
    first, second = harness.store(), harness.store()
    first.record_fetch(URL, source_id="s1", status=200, body=b"one")
    fetch = records.Fetch(
        source_id="s3", status=200, body=b"three", content_type="", etag=None,
        last_modified=None, cache_control=None, expires=None, date=None, title="",
        run_id="r3", not_modified=False, page_kind="", links=None, now=records.store_time(),
    )  # fmt: skip
    other = threading.Thread(
        target=lambda: second.record_fetch(URL, source_id="s2", status=200, body=b"two")
    )
    calls = []

    def change(old):
        if not calls:
            other.start()
            if not harness.writers_queue:
                other.join()  # it wrote after our read
        calls.append(old)
        return records.fetched(KEY, old, fetch)

    first._modify(KEY, change)
    other.join()
    assert first.get_page(URL).sources == ("s1", "s2", "s3")
    changes = [h["change"] for h in page_history(first)]
    assert changes.count("changed") == 2 and len(changes) == 3


def page_history(store):
    return store._read(KEY)["history"]


def test_unicode_and_odd_urls_are_keys_like_any_other(store):
    url = "https://example.org/straße/ä?q=\"'%20;--"
    record(store, "<p>ü</p>".encode(), url=url, title='Quote " and \\ ünïcode')
    page = store.get_page(url)
    assert page.title == 'Quote " and \\ ünïcode'
    assert store.load_body(url) == "<p>ü</p>".encode()


def test_links_and_kind_are_kept_with_the_body_and_survive_a_304(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(store, b"<a href=x>", page_kind="html", links=["https://example.org/x"], now=t0)
    store.record_fetch(URL, source_id="s1", status=304, not_modified=True, now=t0 + timedelta(1))
    page = store.get_page(URL)
    assert (page.kind, page.links) == ("html", ("https://example.org/x",))
    assert page.last_verified == t0 + timedelta(1)

    record(store, b"<p>no links now</p>", page_kind="html", links=[])
    assert store.get_page(URL).links == ()
    too_many = [f"https://example.org/{i}" for i in range(MAX_KEPT_LINKS + 1)]
    record(store, b"<p>a link farm</p>", page_kind="html", links=too_many)
    assert store.get_page(URL).links is None  # not kept: a recrawl parses the body instead


def test_unchanged_per_sitemap_counts_as_seen_without_renewing_the_servers_word(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(store, b"body", page_kind="html", links=[], run_id="r1", now=t0)
    later = t0 + timedelta(hours=5)

    def vouch(lastmod, *, source_id="s1", trust_days=7.0, now=later):
        return store.unchanged_per_sitemap(
            URL, source_id=source_id, run_id="r2", lastmod=lastmod, trust_days=trust_days, now=now
        )

    assert vouch(t0) is None  # changed at the moment we fetched it: not older than our copy
    assert vouch(t0 - timedelta(days=1), source_id="s2") is None  # another source's copy
    assert vouch(t0 - timedelta(days=1), now=t0 + timedelta(days=8)) is None  # too long ago
    assert store.get_page(URL).run_id == "r1"  # none of those touched the page

    page = vouch(t0 - timedelta(days=1))
    assert page is not None and page.url == KEY
    page = store.get_page(URL)
    assert (page.run_id, page.last_seen, page.last_verified) == ("r2", later, t0)
    assert store.urls_not_seen_in_run("s1", "r2") == set()
    assert page_history(store)[-1]["change"] == "unchanged_per_sitemap"

    store.mark_gone(URL, status=404)
    assert vouch(t0 - timedelta(days=1)) is None


def test_a_page_stored_without_its_links_is_not_vouched_for(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(store, b"<p>old</p>", now=t0)  # as stored before links were kept
    assert (
        store.unchanged_per_sitemap(
            URL, source_id="s1", run_id="r2", lastmod=t0 - timedelta(days=1), trust_days=7
        )
        is None
    )


def test_fresh_until_follows_the_caching_headers_and_a_304_keeps_them(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(store, b"body", cache_control="public, max-age=3600", now=t0)
    assert store.get_page(URL).fresh_until == t0 + timedelta(hours=1)
    # a 304 without caching headers: the stored ones count from the new confirmation
    t1 = t0 + timedelta(hours=2)
    store.record_fetch(URL, source_id="s1", status=304, not_modified=True, now=t1)
    assert store.get_page(URL).fresh_until == t1 + timedelta(hours=1)
    # a 304 that says otherwise replaces them
    store.record_fetch(
        URL, source_id="s1", status=304, not_modified=True, cache_control="no-cache", now=t1
    )
    assert store.get_page(URL).fresh_until == t1
    # a 200 without caching headers, Last-Modified 100 days before: a tenth of that
    lm = "Tue, 23 Sep 2025 12:00:00 GMT"  # t0 - 100 days
    record(store, b"new body", last_modified=lm, now=t0)
    assert store.get_page(URL).fresh_until == t0 + timedelta(days=10)


def test_unchanged_while_fresh_vouches_only_for_a_fresh_followable_copy(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(
        store,
        b"body",
        page_kind="html",
        links=[],
        cache_control="max-age=86400",
        now=t0,
        run_id="r1",
    )
    page = store.get_page(URL)

    def vouch(*, source_id="s1", max_days=7.0, now=t0 + timedelta(hours=5)):
        return store.unchanged_while_fresh(
            page, source_id=source_id, run_id="r2", max_days=max_days, now=now
        )

    assert not vouch(now=t0 + timedelta(days=2))  # max-age passed
    assert not vouch(max_days=0.1)  # confirmed longer ago than the editor's maximum
    assert not vouch(source_id="s2")  # another source's copy
    assert store.get_page(URL).run_id == "r1"  # none of those touched the page
    assert vouch()
    seen = store.get_page(URL)
    assert (seen.run_id, seen.last_verified, seen.fresh_until) == ("r2", t0, t0 + timedelta(1))
    assert store.urls_not_seen_in_run("s1", "r2") == set()

    record(store, b"changed meanwhile", page_kind="html", links=[], now=t0)
    assert not vouch()  # the copy read before is not the stored one any more


def test_a_page_stored_without_links_or_caching_headers_is_not_fresh(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    record(store, b"<p>old</p>", cache_control="max-age=86400", now=t0)  # links not kept
    page = store.get_page(URL)
    assert not store.unchanged_while_fresh(page, source_id="s1", run_id="r2", max_days=7, now=t0)
    record(store, b"<p>new</p>", page_kind="html", links=[], now=t0)  # new, no headers: no age
    page = store.get_page(URL)
    assert page.fresh_until == t0
    assert not store.unchanged_while_fresh(page, source_id="s1", run_id="r2", max_days=7, now=t0)


def test_history_keeps_the_last_ten_events(store):
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for i in range(12):
        record(store, f"v{i % 2}".encode(), now=t0 + timedelta(minutes=i))
    store.mark_gone(URL, status=410, now=t0 + timedelta(hours=1))
    history = page_history(store)
    assert len(history) == 10
    assert [h["change"] for h in history[-3:]] == ["changed", "changed", "gone"]
    assert history[-1]["at"] == (t0 + timedelta(hours=1)).replace(tzinfo=None)
    assert history[-1]["status"] == 410


def test_forgetting_a_source_deletes_its_own_pages_and_keeps_shared_ones(store, harness):
    pdf = big(store, b"only s1")
    record(store, b"shared", url="https://e.org/shared", source_id="s1")
    record(store, b"shared", url="https://e.org/shared", source_id="s2")
    record(store, pdf, url="https://e.org/own.pdf", source_id="s1")
    record(store, b"gone", url="https://e.org/gone", source_id="s1")
    store.mark_gone("https://e.org/gone")
    record(store, b"other", url="https://e.org/other", source_id="s3")
    assert store.source_ids() == {"s1", "s2", "s3"}

    assert store.forget_source("s1") == 2  # own.pdf and the gone page
    assert store.get_page("https://e.org/own.pdf") is None
    assert store.get_page("https://e.org/gone") is None
    assert harness.out_of_line_bodies() == 0
    shared = store.get_page("https://e.org/shared")
    assert shared.sources == ("s2",) and store.load_body("https://e.org/shared") == b"shared"
    assert store.source_ids() == {"s2", "s3"}
    assert store.urls_seen_for_source("s1") == set()
    assert store.forget_source("s1") == 0  # idempotent
    # a forgotten page comes back as new
    assert record(store, b"back", url="https://e.org/own.pdf", source_id="s1") is ChangeKind.NEW
