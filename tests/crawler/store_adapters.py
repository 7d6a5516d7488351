"""The page store adapters the contract suite runs against, and how to look inside each.

* ``sqlite``: the embedded store, on files under the test's tmp_path. Always runs.
* ``mongodb``: a real MongoDB server at ``LOTSE_TEST_MONGODB_URL`` (a scratch database per
  test, dropped afterwards). Skipped when the variable is unset: no server on CI or here.
* ``pymongo-api stand-in``: the MongoDB adapter's code driven through mongomock, which
  implements pymongo's API in memory. It is NOT MongoDB: no server, no wire protocol, no
  indexes (every query is a scan in Python), no profiler; its GridFS is pymongo's gridfs over
  mongomock collections (mongomock.gridfs). What it checks: that the adapter's queries, updates,
  compare-and-swap and GridFS calls mean what the contract needs under pymongo's API semantics.
  What it cannot check is listed in docs/development.md ("The page store's tests").
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawler.store import PageStore, PageStoreConfig, open_page_store

MONGODB_URL = os.environ.get("LOTSE_TEST_MONGODB_URL", "")
ADAPTERS = ("sqlite", "mongodb", "pymongo-api stand-in")


@dataclass
class Harness:
    """Opens stores on one backing (two opens see the same pages) and looks inside them."""

    name: str
    open: Callable[[], PageStore]
    out_of_line_bodies: Callable[[], int]
    # counts the rows/documents and index entries one block of store calls touches; None
    # when the adapter's stand-in cannot tell
    meter: Callable[[PageStore], object] | None
    # a second writer of a page waits for the first (SQLite's lock) instead of racing it
    writers_queue: bool = False
    opened: list[PageStore] = field(default_factory=list)

    def store(self) -> PageStore:
        store = self.open()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


def make_harness(name: str, tmp_path: Path) -> Iterator[Harness]:
    if name == "sqlite":
        yield from _sqlite(tmp_path)
    elif name == "mongodb":
        yield from _mongodb()
    else:
        yield from _mongomock()


def _sqlite(tmp_path: Path) -> Iterator[Harness]:
    config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    blobs = tmp_path / "ps" / "lotse" / "blobs"

    def files() -> int:
        return len(list(blobs.iterdir())) if blobs.is_dir() else 0

    harness = Harness(
        "sqlite", lambda: open_page_store(config), files, _sqlite_meter, writers_queue=True
    )
    yield harness
    harness.close()


@contextmanager
def _sqlite_meter(store) -> Iterator[list[int]]:
    """SQLite virtual machine steps on this thread's connection: a scan of n rows takes
    steps in proportion to n, a lookup through an index the same few whatever n is."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0  # go on

    conn = store.connection()
    conn.set_progress_handler(count, 1)
    try:
        yield steps
    finally:
        conn.set_progress_handler(None, 1)


def _mongodb() -> Iterator[Harness]:
    if not MONGODB_URL:
        pytest.skip("LOTSE_TEST_MONGODB_URL is not set (no MongoDB server to test against)")
    database = f"lotse_test_{uuid.uuid4().hex[:12]}"
    config = PageStoreConfig(url=MONGODB_URL, database=database, path="")

    def open_store() -> PageStore:
        store = open_page_store(config)
        store.ensure_indexes()
        return store

    admin = open_store()

    def blobs() -> int:
        return admin.db["page_blobs.files"].count_documents({})

    harness = Harness("mongodb", open_store, blobs, _mongodb_meter)
    yield harness
    harness.close()
    admin._client.drop_database(database)
    admin.close()


@contextmanager
def _mongodb_meter(store) -> Iterator[list[int]]:
    """Documents and index keys the server examined (its profiler, on the scratch database)."""
    db = store.db
    db.command("profile", 0)
    db["system.profile"].drop()
    db.command("profile", 2)
    examined = [0]
    try:
        yield examined
    finally:
        db.command("profile", 0)
        for entry in db["system.profile"].find({"op": {"$ne": "command"}}):
            examined[0] += entry.get("docsExamined", 0) + entry.get("keysExamined", 0)


def _mongomock() -> Iterator[Harness]:
    import mongomock
    from mongomock.gridfs import enable_gridfs_integration

    from crawler.store.mongo import MongoPageStore

    enable_gridfs_integration()  # pymongo's gridfs accepts mongomock's collections
    client = mongomock.MongoClient()

    def open_store() -> PageStore:
        store = MongoPageStore(client, client["lotse"])
        store.ensure_indexes()
        return store

    def blobs() -> int:
        return client["lotse"]["page_blobs.files"].count_documents({})

    harness = Harness("pymongo-api stand-in", open_store, blobs, None)
    yield harness
    harness.close()
