from datetime import UTC, datetime, timedelta

import pytest

from crawler.store import (
    INLINE_BODY_MAX,
    MAX_KEPT_LINKS,
    ChangeKind,
    PageStoreConfig,
    open_page_store,
)

URL = "https://example.org/a?utm_source=x"
KEY = "https://example.org/a"


@pytest.fixture
def store(tmp_path):
    store = open_page_store(PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps")))
    store.ensure_indexes()
    yield store
    store.close()


def record(store, body, **kwargs):
    kwargs.setdefault("source_id", "s1")
    kwargs.setdefault("status", 200)
    return store.record_fetch(URL, body=body, content_type="text/html", **kwargs)


def test_unknown_url(store):
    assert store.get_page(URL) is None
    assert store.load_body(URL) is None
    assert store.mark_gone(URL, status=404) is False


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
    assert store.load_body(URL) == b"<p>two</p>"


def test_not_modified_keeps_body_and_validators(store):
    record(store, b"body", etag='"v1"', last_modified="Mon, 01 Jan 2026 00:00:00 GMT")
    kind = store.record_fetch(URL, source_id="s1", status=304, not_modified=True, run_id="r2")
    assert kind is ChangeKind.UNCHANGED
    page = store.get_page(URL)
    assert (page.status, page.etag, page.run_id) == (200, '"v1"', "r2")
    assert page.last_modified == "Mon, 01 Jan 2026 00:00:00 GMT"
    assert store.load_body(URL) == b"body"


def test_not_modified_without_a_copy_is_an_error(store):
    with pytest.raises(ValueError, match="no copy"):
        store.record_fetch(URL, source_id="s1", status=304, not_modified=True)


def test_large_bodies_live_in_blob_files(store, tmp_path):
    big = b"%PDF-1.4 " + b"x" * (INLINE_BODY_MAX + 1)
    assert record(store, big) is ChangeKind.NEW
    blobs = list((tmp_path / "ps" / "blobs").iterdir())
    assert len(blobs) == 1
    assert store.load_body(URL) == big
    # A changed page no longer needs the old blob.
    record(store, b"small now")
    assert list((tmp_path / "ps" / "blobs").iterdir()) == []
    assert store.load_body(URL) == b"small now"


def test_gone_and_back(store):
    record(store, b"body", run_id="r1")
    assert store.mark_gone(URL, status=410, run_id="r2") is True
    assert store.mark_gone(URL, status=410) is False
    assert store.get_page(URL).gone
    assert store.load_body(URL) is None
    assert store.urls_seen_for_source("s1") == set()
    assert record(store, b"body") is ChangeKind.NEW


def test_urls_by_source_and_run(store):
    store.record_fetch("https://e.org/1", source_id="s1", status=200, body=b"1", run_id="r1")
    store.record_fetch("https://e.org/2", source_id="s1", status=200, body=b"2", run_id="r1")
    store.record_fetch("https://e.org/3", source_id="s2", status=200, body=b"3", run_id="r9")
    store.record_fetch("https://e.org/1", source_id="s1", status=200, body=b"1", run_id="r2")
    assert store.urls_seen_for_source("s1") == {"https://e.org/1", "https://e.org/2"}
    assert store.urls_seen_for_source("s1", run_id="r2") == {"https://e.org/1"}
    assert store.urls_not_seen_in_run("s1", "r2") == {"https://e.org/2"}
    assert store.urls_seen_for_source("s2") == {"https://e.org/3"}


def test_store_survives_reopening(tmp_path):
    config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    first = open_page_store(config)
    first.record_fetch(URL, source_id="s1", status=200, body=b"kept")
    first.close()
    second = open_page_store(config)
    assert second.load_body(URL) == b"kept"
    second.close()


def test_keyed_access_and_montydb_see_the_same_documents(store):
    # The embedded store reads and writes pages by _id itself (montydb would scan); both
    # views of the files must agree, in both directions.
    record(store, b"one")
    via_montydb = store.pages.find_one({"_id": KEY})
    assert bytes(via_montydb["body"]) == b"one"
    assert via_montydb["sources"] == ["s1"]
    assert store.urls_seen_for_source("s1") == {KEY}

    store.pages.update_one({"_id": KEY}, {"$set": {"title": "set by montydb"}})
    assert store.get_page(URL).title == "set by montydb"

    assert store.mark_gone(URL, status=410) is True
    assert store.pages.find_one({"_id": KEY})["gone"] is True
    assert store.pages.count_documents({}) == 1


def test_two_stores_on_one_folder_see_each_others_writes(tmp_path):
    # Crawl child, web process and ingest threads each open the embedded store.
    config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    first, second = open_page_store(config), open_page_store(config)
    try:
        assert second.get_page(URL) is None
        first.record_fetch(URL, source_id="s1", status=200, body=b"first")
        assert second.load_body(URL) == b"first"
        second.record_fetch(URL, source_id="s2", status=200, body=b"second")
        assert first.load_body(URL) == b"second"
        assert first.get_page(URL).sources == ("s1", "s2")
        assert first.pages.count_documents({}) == 1
    finally:
        first.close()
        second.close()


def test_fast_document_encoding_matches_montydb(store):
    from montydb.types import bson

    doc = {
        "_id": "https://example.org/ü?q=1",
        "body": b"\x00\xffbytes",
        "at": datetime(2026, 1, 2, 3, 4, 5, 678000),
        "history": [{"at": datetime(2026, 1, 1), "status": 304, "change": "unchanged"}],
        "title": 'Quote " and \\ backslash, ünïcode',
        "gone": False,
        "etag": None,
        "size": 1.5,
    }
    expected = bson.document_encode(doc, codec_options=store._by_id._target.coptions)
    assert store._by_id._encode(doc) == expected


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
