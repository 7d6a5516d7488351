"""The embedded page store's fast path: one document by ``_id`` without montydb's full scans."""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

logger = logging.getLogger(__name__)


class EmbeddedDocsById:
    """Reads and writes one document of the embedded store by ``_id``, in O(1).

    montydb answers every query, even one by ``_id``, by decoding the whole collection, and
    opens, commits (fsync) and closes a SQLite connection per call: a crawl that looks up each
    page it fetches took time quadratic in the pages stored (300 pages: 20 s). Its SQLite file
    has ``_id`` as primary key; this uses that key with montydb's own table, key and document
    encoding, so the file stays montydb's and every other query still goes through montydb.

    One connection per thread, in WAL mode with synchronous=NORMAL: a commit is durable when
    the process dies, and a power cut loses at most the last pages, which the next crawl
    fetches again. That is the trade a page cache can make; MongoDB is the store for servers.
    """

    def __init__(self, collection: Any):
        from montydb.storage.sqlite import SQLITE_RECORD_TABLE

        # montydb's storage object for this collection (what its own methods delegate to).
        target = collection._storage
        for component in collection._components:
            target = target.contractor_cls(target, component)
        self._target = target
        self._select = f"SELECT v FROM [{SQLITE_RECORD_TABLE}] WHERE k = ?"
        # montydb's own upsert statement (UPSERT_RECORD), parameters (v, k).
        self._upsert = (
            f"INSERT INTO [{SQLITE_RECORD_TABLE}] (v, k) VALUES (?, ?) "
            "ON CONFLICT(k) DO UPDATE SET v = excluded.v"
        )
        self._encode = _document_encoder(target)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        database, name = self._target._database, self._target._name
        if not database.collection_exists(name):
            if not create:
                return None  # nothing stored yet
            database.collection_create(name)
        # Autocommit: each statement is its own transaction, visible to other processes.
        conn = sqlite3.connect(
            self._target._col_path, timeout=30, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            logger.info("page store stays in its journal mode (busy); slower, not wrong")
        conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn = conn
        with self._opened_lock:
            self._opened.append(conn)
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        from montydb.types import bson

        conn = self._connection(create=False)
        if conn is None:
            return None
        row = conn.execute(self._select, (bson.id_encode(key),)).fetchone()
        if row is None:
            return None
        return bson.document_decode(row[0], codec_options=self._target.coptions)

    def put(self, doc: dict[str, Any]) -> None:
        from montydb.types import bson

        conn = self._connection(create=True)
        conn.execute(self._upsert, (self._encode(doc), bson.id_encode(doc["_id"])))

    def close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()


def _document_encoder(target: Any) -> Any:
    """montydb's document encoding, minus its cost when documents are JSON.

    Without the ``bson`` package montydb stores JSON made by its BSONEncoder, but walks the
    pure-Python encoder's output piece by piece to check each key with ``ast.literal_eval``
    (a third of a page write). Our documents have only string keys, so the C encoder with the
    same encoder class gives the same text (tests/crawler/test_store.py compares them).
    """
    from montydb.types import bson

    bson.id_encode  # noqa: B018 -- settles montydb's per-process choice of encoding
    if bson.bson_used:
        return target._encode_doc
    from montydb.types._nobson import NoBSON

    encoder = NoBSON.BSONEncoder()
    return lambda doc: encoder.encode(doc).encode()
