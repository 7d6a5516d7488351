"""The embedded page store: one SQLite file per database under a folder (standard library).

Layout of ``<folder>/<database>/pages.sqlite3`` (readable with the ``sqlite3`` shell and JSON):

* ``pages``: one row per URL key, with the columns the store queries by (``gone``, ``run_id``,
  ``body_hash``, each indexed where a query needs it) and the rest of the page's record as
  JSON in ``record`` (times as ``{"$date": "2026-01-01T12:00:00.123Z"}``).
* ``page_sources``: which source reached which page (a page may belong to several sources).
* ``bodies``: bodies by content hash, shared by the pages that have the same one. A body up
  to ``INLINE_BODY_MAX`` is a blob in the row; a larger one is the file ``blobs/<hash>``
  beside the database (``data`` NULL): measured on this kind of machine, SQLite reads and
  writes small blobs as fast as files or faster, while from about 64 KB files are faster
  (and keep multi-megabyte PDFs out of the write-ahead log).

Every write is one ``BEGIN IMMEDIATE`` transaction: processes (crawl child, web process,
ingest threads) that open the same folder see each other's writes at once, never half of
one, and a body shared by two pages is dropped only when no page refers to it any more.
One connection per thread, in WAL mode with synchronous=NORMAL: a commit is durable when the
process dies, and a power cut loses at most the last pages, which the next crawl fetches
again. That is the trade a page cache can make; MongoDB is the store for servers.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.store.base import PageStore, PageStoreError
from crawler.store.records import Change, Record

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
INLINE_BODY_MAX = 64 * 1024
DATABASE_FILE = "pages.sqlite3"
BLOB_FOLDER = "blobs"

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    key TEXT PRIMARY KEY,
    gone INTEGER NOT NULL DEFAULT 0,
    run_id TEXT NOT NULL DEFAULT '',
    body_hash TEXT,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_by_body ON pages (body_hash) WHERE body_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS page_sources (
    source_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (source_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB
);
CREATE TABLE IF NOT EXISTS store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def encode_record(record: Record) -> str:
    return json.dumps(record, default=_encode_value, ensure_ascii=False, separators=(",", ":"))


def decode_record(text: str) -> Record:
    return json.loads(text, object_hook=_decode_value)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):  # stored times are naive UTC
        return {"$date": value.isoformat(timespec="milliseconds") + "Z"}
    raise TypeError(f"a page record cannot hold {type(value).__name__}")


def _decode_value(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$date" in obj:
        return datetime.fromisoformat(obj["$date"].removesuffix("Z"))
    return obj


class SqlitePageStore(PageStore):
    embedded = True
    inline_body_max = INLINE_BODY_MAX

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / DATABASE_FILE
        self.blob_dir = folder / BLOB_FOLDER
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; writes go through ``_transaction``)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")  # writers queue here, not halfway through
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def ping(self) -> None:
        try:
            self.connection().execute("SELECT value FROM store_meta WHERE name = 'schema'")
        except sqlite3.Error as exc:
            raise PageStoreError(f"page store not readable ({self.path}): {exc}") from exc

    def close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def ensure_indexes(self) -> None:
        """The schema is created when the store is opened (see ``open_sqlite_store``)."""

    # -- primitives --------------------------------------------------------------------------

    def _read(self, key: str) -> Record | None:
        row = self.connection().execute("SELECT record FROM pages WHERE key = ?", (key,))
        found = row.fetchone()
        return None if found is None else decode_record(found[0])

    def _read_body(self, key: str) -> bytes | None:
        row = (
            self.connection()
            .execute(
                "SELECT b.hash, b.data FROM pages p JOIN bodies b ON b.hash = p.body_hash"
                " WHERE p.key = ? AND p.gone = 0",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            return None
        digest, data = row
        if data is not None:
            return bytes(data)
        try:
            return (self.blob_dir / digest).read_bytes()
        except FileNotFoundError:
            logger.warning("page body file %s is missing (%s)", digest, key)
            return None

    def _keys(
        self,
        source_id: str,
        *,
        run_id: str | None = None,
        other_run_than: str | None = None,
        with_gone: bool = False,
    ) -> set[str]:
        sql = "SELECT p.key FROM page_sources s JOIN pages p ON p.key = s.key WHERE s.source_id = ?"
        if not with_gone:
            sql += " AND p.gone = 0"
        params: list[str] = [source_id]
        if run_id is not None:
            sql, params = sql + " AND p.run_id = ?", [*params, run_id]
        if other_run_than is not None:
            sql, params = sql + " AND p.run_id != ?", [*params, other_run_than]
        return {key for (key,) in self.connection().execute(sql, params)}

    def _source_ids(self) -> set[str]:
        # the primary key (source_id, key) is an index on source_id: one step per source
        rows = self.connection().execute("SELECT DISTINCT source_id FROM page_sources")
        return {source_id for (source_id,) in rows}

    def _modify(self, key: str, change: Callable[[Record | None], Change]) -> Any:
        with self._transaction() as conn:
            row = conn.execute("SELECT record, body_hash FROM pages WHERE key = ?", (key,))
            found = row.fetchone()
            old, old_hash = (None, None) if found is None else (decode_record(found[0]), found[1])
            outcome = change(old)
            if outcome.record is not None:
                self.write_page(conn, key, old, old_hash, outcome)
            elif outcome.delete and found is not None:
                conn.execute("DELETE FROM pages WHERE key = ?", (key,))
                conn.execute("DELETE FROM page_sources WHERE key = ?", (key,))
                if old_hash is not None:
                    self._drop_body_if_unused(conn, old_hash)
        return outcome.result

    def write_page(
        self,
        conn: sqlite3.Connection,
        key: str,
        old: Record | None,
        old_hash: str | None,
        outcome: Change,
    ) -> None:
        record = outcome.record
        if outcome.body is not None:
            body_hash = record["content_hash"]
            self.put_body(conn, body_hash, outcome.body)
        else:
            body_hash = old_hash if record.get("content_hash") is not None else None
        conn.execute(
            "INSERT INTO pages (key, gone, run_id, body_hash, record) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET gone = excluded.gone, run_id = excluded.run_id,"
            " body_hash = excluded.body_hash, record = excluded.record",
            (key, int(bool(record.get("gone"))), record.get("run_id") or "", body_hash,
             encode_record(record)),
        )  # fmt: skip
        sources = set(record.get("sources") or ())
        old_sources = set((old or {}).get("sources") or ())
        conn.executemany(
            "INSERT OR IGNORE INTO page_sources (source_id, key) VALUES (?, ?)",
            [(source_id, key) for source_id in sorted(sources - old_sources)],
        )
        conn.executemany(
            "DELETE FROM page_sources WHERE source_id = ? AND key = ?",
            [(source_id, key) for source_id in sorted(old_sources - sources)],
        )
        if old_hash is not None and old_hash != body_hash:
            self._drop_body_if_unused(conn, old_hash)

    # -- bodies ------------------------------------------------------------------------------

    def put_body(self, conn: sqlite3.Connection, digest: str, body: bytes) -> None:
        found = conn.execute("SELECT data IS NULL FROM bodies WHERE hash = ?", (digest,))
        row = found.fetchone()
        in_file = len(body) > self.inline_body_max if row is None else bool(row[0])
        if in_file:
            # written inside the transaction: no other writer can drop it meanwhile; also
            # puts back a file that went missing
            write_body_file(self.blob_dir, digest, body)
        if row is None:
            conn.execute(
                "INSERT INTO bodies (hash, size, data) VALUES (?, ?, ?)",
                (digest, len(body), None if in_file else body),
            )

    def _drop_body_if_unused(self, conn: sqlite3.Connection, digest: str) -> None:
        used = conn.execute("SELECT 1 FROM pages WHERE body_hash = ? LIMIT 1", (digest,))
        if used.fetchone() is not None:
            return
        row = conn.execute("SELECT data IS NULL FROM bodies WHERE hash = ?", (digest,)).fetchone()
        conn.execute("DELETE FROM bodies WHERE hash = ?", (digest,))
        if row is not None and row[0]:
            (self.blob_dir / digest).unlink(missing_ok=True)


def write_body_file(blob_dir: Path, digest: str, body: bytes) -> None:
    """Content-addressed: an existing file of that hash already holds these bytes."""
    path = blob_dir / digest
    if path.exists():
        return
    blob_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=blob_dir, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)  # readers never see half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def connect(path: Path, *, timeout_s: float = 30.0) -> sqlite3.Connection:
    # autocommit: a statement outside a transaction is its own, visible to other processes
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        logger.info("page store stays in its journal mode (busy); slower, not wrong")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def open_sqlite_store(folder: Path) -> SqlitePageStore:
    """Open (create, or convert from montydb once) the store of one database folder."""
    from crawler.store import upgrade

    try:
        folder.mkdir(parents=True, exist_ok=True)
        store = SqlitePageStore(folder)
        # one process creates the schema (and converts an old store, which may take a
        # while); the others wait for it instead of giving up after the usual 30 s
        conn = connect(store.path, timeout_s=3600)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if _create_schema(conn):
                    upgrade.import_collection(conn, store)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()
        upgrade.retire_collection(store)
    except (OSError, sqlite3.Error) as exc:
        raise PageStoreError(f"cannot open the embedded page store in {folder}: {exc}") from exc
    return store


def _create_schema(conn: sqlite3.Connection) -> bool:
    """Create the tables unless they exist; True when they did not."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if "store_meta" in tables:
        row = conn.execute("SELECT value FROM store_meta WHERE name = 'schema'").fetchone()
        if row is not None and row[0] != SCHEMA_VERSION:
            raise PageStoreError(
                f"the embedded page store has schema {row[0]}; this Lotse knows "
                f"{SCHEMA_VERSION}. Update Lotse, or move the folder away and recrawl."
            )
        return False
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO store_meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return True
