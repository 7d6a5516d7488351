"""The embedded page store's own promises: its file is plain SQLite + JSON, an old montydb store
is converted once, and damage is reported or repaired instead of lost."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from datetime import UTC, datetime

import pytest

from crawler.store import ChangeKind, PageStoreConfig, PageStoreError, open_page_store
from crawler.store.records import content_hash_of

URL = "https://example.org/a"


@pytest.fixture
def config(tmp_path):
    return PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))


def test_the_file_reads_with_sqlite3_and_json_alone(config, tmp_path):
    store = open_page_store(config)
    t0 = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)
    store.record_fetch(URL, source_id="s1", status=200, body=b"<p>x</p>", title="X", now=t0)
    store.close()
    conn = sqlite3.connect(tmp_path / "ps" / "lotse" / "pages.sqlite3")
    record, body = conn.execute(
        "SELECT p.record, b.data FROM pages p JOIN bodies b ON b.hash = p.body_hash"
    ).fetchone()
    record = json.loads(record)
    assert record["title"] == "X" and record["sources"] == ["s1"]
    assert record["first_seen"] == {"$date": "2026-01-01T12:00:00.250Z"}
    assert body == b"<p>x</p>"
    sources = conn.execute("SELECT source_id, key FROM page_sources").fetchall()
    assert sources == [("s1", URL)]


def test_a_missing_body_file_is_reported_and_put_back_by_the_next_fetch(config, tmp_path, caplog):
    store = open_page_store(config)
    body = b"%PDF" + b"x" * store.inline_body_max
    store.record_fetch(URL, source_id="s1", status=200, body=body)
    (tmp_path / "ps" / "lotse" / "blobs" / content_hash_of(body)).unlink()
    with caplog.at_level(logging.WARNING, logger="crawler.store.sqlite"):
        assert store.load_body(URL) is None
    assert "missing" in caplog.text
    # same body again: unchanged, and the file is there again
    assert store.record_fetch(URL, source_id="s1", status=200, body=body) is ChangeKind.UNCHANGED
    store.record_fetch("https://example.org/copy", source_id="s1", status=200, body=body)
    assert store.load_body(URL) == body
    store.close()


def test_a_store_of_a_newer_schema_is_refused_with_a_clear_message(config, tmp_path):
    open_page_store(config).close()
    conn = sqlite3.connect(tmp_path / "ps" / "lotse" / "pages.sqlite3")
    conn.execute("UPDATE store_meta SET value = '99' WHERE name = 'schema'")
    conn.commit()
    conn.close()
    with pytest.raises(PageStoreError, match="schema 99"):
        open_page_store(config)


def test_an_unusable_folder_is_a_page_store_error(tmp_path):
    (tmp_path / "ps").write_text("a file where the folder should be")
    config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    with pytest.raises(PageStoreError, match="cannot open the embedded page store"):
        open_page_store(config)


def test_a_database_name_that_is_a_path_is_refused(tmp_path):
    config = PageStoreConfig(url="", database="../elsewhere", path=str(tmp_path / "ps"))
    with pytest.raises(PageStoreError, match="not a name"):
        open_page_store(config)


# -- the store of earlier versions (montydb on SQLite) ----------------------------------------


def _montydb_json(value):
    # montydb 2.5's encoding without BSON (its NoBSON.BSONEncoder), as found in its files
    if isinstance(value, bytes):
        return {"$binary": {"base64": base64.b64encode(value).decode(), "subType": "00"}}
    if isinstance(value, datetime):
        return {"$date": int(value.replace(tzinfo=UTC).timestamp() * 1000)}
    raise TypeError(value)


def write_montydb_store(folder, docs, blobs=None):
    """``folder`` as montydb 2.5 left it for Lotse: <folder>/lotse/pages.collection with
    table documents(k, v), v the document as extended JSON; big bodies in <folder>/blobs."""
    (folder / "lotse").mkdir(parents=True)
    (folder / "monty.storage.cfg").write_text("[sqlite]\nuse_bson = \nmongo_version = 4.2\n\n")
    conn = sqlite3.connect(folder / "lotse" / "pages.collection")
    conn.execute("CREATE TABLE [documents](k text NOT NULL, v text NOT NULL, PRIMARY KEY(k))")
    for doc in docs:
        conn.execute(
            "INSERT INTO [documents] (k, v) VALUES (?, ?)",
            (json.dumps(doc["_id"]).encode(), json.dumps(doc, default=_montydb_json).encode()),
        )
    conn.commit()
    conn.close()
    for digest, body in (blobs or {}).items():
        (folder / "blobs").mkdir(exist_ok=True)
        (folder / "blobs" / digest).write_bytes(body)


def old_doc(url, body=None, blob=None, **fields):
    t = datetime(2026, 11, 1, 8, 30, 0, 125000)
    doc = {
        "_id": url, "url": url, "sources": ["s1"], "status": 200,
        "content_hash": content_hash_of(body or blob or b""), "last_seen": t,
        "last_verified": t, "last_fetched_status": 200, "run_id": "r1", "gone": False,
        "gone_status": None, "etag": '"e1"', "last_modified": None,
        "cache_control": "max-age=60", "expires": None, "content_type": "text/html",
        "title": "Old", "kind": "html", "links": ["https://example.org/b"], "first_seen": t,
        "last_changed": t, "fresh_until": t, "body_size": len(body or blob or b""),
        "body": body, "body_blob": None if blob is None else content_hash_of(blob),
        "history": [{"at": t, "status": 200, "change": "new"}],
    }  # fmt: skip
    doc.update(fields)
    return doc


def test_an_old_montydb_store_is_converted_once_with_bodies_and_history(config, tmp_path):
    folder = tmp_path / "ps"
    pdf = b"%PDF-1.4 " + b"p" * 300_000
    write_montydb_store(
        folder,
        [
            old_doc("https://example.org/a", body=b"<p>small</p>"),
            old_doc("https://example.org/big.pdf", blob=pdf),
            old_doc("https://example.org/lost.pdf", blob=b"file deleted by hand"),
            old_doc("https://example.org/gone", content_hash=None, gone=True, gone_status=404),
        ],
        blobs={content_hash_of(pdf): pdf},
    )
    store = open_page_store(config)
    page = store.get_page("https://example.org/a")
    assert (page.title, page.etag, page.sources, page.links) == (
        "Old",
        '"e1"',
        ("s1",),
        ("https://example.org/b",),
    )
    assert page.first_seen == datetime(2026, 11, 1, 8, 30, 0, 125000, tzinfo=UTC)
    assert store.load_body("https://example.org/a") == b"<p>small</p>"
    assert store.load_body("https://example.org/big.pdf") == pdf
    assert store.get_page("https://example.org/gone").gone
    # a page whose body file is gone: the next crawl fetches it in full (no validators)
    lost = store.get_page("https://example.org/lost.pdf")
    assert (lost.has_body, lost.etag) == (False, None)
    assert store.urls_seen_for_source("s1") == {
        "https://example.org/a",
        "https://example.org/big.pdf",
        "https://example.org/lost.pdf",
    }
    # the recrawl sees the old copy: unchanged, not new
    assert (
        store.record_fetch(
            "https://example.org/a", source_id="s1", status=200, body=b"<p>small</p>"
        )
        is ChangeKind.UNCHANGED
    )
    store.close()
    assert not (folder / "lotse" / "pages.collection").exists()
    assert (folder / "lotse" / "pages.collection.converted").is_file()
    assert (folder / "blobs" / content_hash_of(pdf)).is_file()  # the old folder is left alone

    again = open_page_store(config)  # nothing converted twice, nothing lost
    assert again.load_body("https://example.org/big.pdf") == pdf
    assert again.load_body("https://example.org/a") == b"<p>small</p>"
    assert again.get_page("https://example.org/gone").gone
    again.close()


def test_a_damaged_old_store_is_reported_and_left_as_it_was(config, tmp_path):
    folder = tmp_path / "ps"
    write_montydb_store(folder, [old_doc(URL, body=b"x")])
    conn = sqlite3.connect(folder / "lotse" / "pages.collection")
    conn.execute("UPDATE documents SET v = ?", (b'{"_id": "https://example.org/a", "broken',))
    conn.commit()
    conn.close()
    with pytest.raises(PageStoreError, match="cannot convert the old embedded page store"):
        open_page_store(config)
    assert (folder / "lotse" / "pages.collection").is_file()
    # moved away as the message says: a new, empty store
    (folder / "lotse" / "pages.collection").rename(tmp_path / "kept.collection")
    store = open_page_store(config)
    assert store.get_page(URL) is None
    store.close()
