"""A one-time conversion of the embedded page store that Lotse wrote with montydb.

Until 2026-12 the embedded store was montydb on SQLite: ``<folder>/<database>/pages.collection``
is a SQLite file with one table ``documents(k, v)``, where ``v`` is the page document as
MongoDB extended JSON (``{"$date": <ms>}``, ``{"$binary": {"base64": …}}``; BSON bytes if
montydb had been set to use BSON), and bodies above 256 KB were files ``<folder>/blobs/<sha256>``.
That format is plain enough to read with ``sqlite3`` and ``json``, so the first open of the
new store copies every page over, bodies and fetch history included: an upgraded Lotse
recrawls with conditional GETs as before instead of fetching and indexing every page again.

Afterwards the old file is renamed to ``pages.collection.converted``; it, the old ``blobs``
folder and montydb's ``monty.storage.cfg`` can be deleted (docs/operators.md).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.store.base import PageStoreError
from crawler.store.records import Change, Record

if TYPE_CHECKING:
    from crawler.store.sqlite import SqlitePageStore

logger = logging.getLogger(__name__)

OLD_FILE = "pages.collection"
RETIRED_SUFFIX = ".converted"
_EPOCH = datetime(1970, 1, 1)


def old_collection(store: SqlitePageStore) -> Path:
    return store.folder / OLD_FILE


def import_collection(conn: sqlite3.Connection, store: SqlitePageStore) -> int:
    """Copy the montydb collection beside ``store`` into it, inside the caller's transaction
    (the store's schema was just created); the number of pages copied."""
    source = old_collection(store)
    if not source.is_file():
        return 0
    old_blobs = store.folder.parent / "blobs"
    try:
        old = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            copied = missing = 0
            for (value,) in old.execute("SELECT v FROM documents"):
                if not _copy_page(conn, store, decode_document(value), old_blobs):
                    missing += 1
                copied += 1
        finally:
            old.close()
    except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
        raise PageStoreError(
            f"cannot convert the old embedded page store {source}: {exc}. Move that file "
            "away and start again: the next crawl then fetches every page anew."
        ) from exc
    conn.execute(
        "INSERT INTO store_meta (name, value) VALUES ('converted_from', ?)",
        (json.dumps({"file": str(source), "pages": copied, "without_body": missing}),),
    )
    logger.info(
        "converted the embedded page store %s: %d pages (%d without their body file, "
        "fetched again by the next crawl)",
        source,
        copied,
        missing,
    )
    return copied


def retire_collection(store: SqlitePageStore) -> None:
    """Rename the converted montydb file so that nothing reads it again (safe to repeat)."""
    source = old_collection(store)
    if not source.is_file():
        return
    row = store.connection().execute("SELECT 1 FROM store_meta WHERE name = 'converted_from'")
    if row.fetchone() is None:
        return  # not ours to touch: the store was created empty before that file appeared
    target = source.with_name(OLD_FILE + RETIRED_SUFFIX)
    os.replace(source, target)
    for leftover in ("-wal", "-shm"):  # SQLite's companions of the old file, read already
        source.with_name(OLD_FILE + leftover).unlink(missing_ok=True)
    logger.info("the old page store file is now %s; it can be deleted", target)


def decode_document(value: bytes | str) -> dict[str, Any]:
    """One montydb document: extended JSON, or BSON (pymongo's ``bson``)."""
    if isinstance(value, str):
        value = value.encode()
    if value[:1] == b"{":
        return json.loads(value, object_hook=_extended_json)
    import bson

    return bson.decode(value)


def _extended_json(obj: dict[str, Any]) -> Any:
    if "$date" in obj and len(obj) == 1:
        return _EPOCH + timedelta(milliseconds=int(obj["$date"]))
    if "$binary" in obj and len(obj) == 1:
        return base64.b64decode(obj["$binary"]["base64"])
    if "$oid" in obj and len(obj) == 1:
        return obj["$oid"]
    return obj


def _copy_page(
    conn: sqlite3.Connection, store: SqlitePageStore, doc: dict[str, Any], old_blobs: Path
) -> bool:
    """Store one old document; False when its body was a file that is not there any more."""
    key = str(doc.pop("_id"))
    body, blob = doc.pop("body", None), doc.pop("body_blob", None)
    record: Record = {"url": key, **doc}
    record.pop("rev", None)
    live = not record.get("gone") and record.get("content_hash") is not None
    found = True
    if live and body is not None:
        store.put_body(conn, record["content_hash"], bytes(body))
    elif live and blob:
        found = _adopt_body_file(conn, store, str(blob), old_blobs)
        record["content_hash"] = str(blob)  # the file's name is its hash
    elif live:
        found = False
    if live and not found:
        # a page whose body is lost: forget the copy, so the next crawl fetches it in full
        record.update(content_hash=None, etag=None, last_modified=None, fresh_until=None)
    body_hash = record["content_hash"] if live and found else None
    # as if the body were already stored with the page: nothing to store or drop
    store.write_page(conn, key, None, body_hash, Change(record=record))
    return found


def _adopt_body_file(
    conn: sqlite3.Connection, store: SqlitePageStore, digest: str, old_blobs: Path
) -> bool:
    target, source = store.blob_dir / digest, old_blobs / digest
    if not target.exists():
        if not source.is_file():
            return False
        store.blob_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)  # no copy on the same disk; the old folder stays intact
        except OSError:
            shutil.copyfile(source, target)
    conn.execute(
        "INSERT OR IGNORE INTO bodies (hash, size, data) VALUES (?, ?, NULL)",
        (digest, target.stat().st_size),
    )
    return True
