"""The embedded vector store's file: every collection and point in one SQLite database.

Qdrant's local mode keeps its points in memory and, given a folder, also writes each point to
SQLite in a transaction of its own, in SQLite's default rollback-journal mode: a commit and its
fsyncs per point, some 5-15 ms each on an ordinary disk, so that writing alone limited indexing
to a dozen pages a second. This file replaces that persistence, through public APIs only:
local mode runs in memory, and :class:`rag.store.local_client.LocalQdrantClient` writes each
upsert or delete here in one transaction, in WAL mode with ``synchronous=NORMAL`` (durable once
checkpointed; a power cut loses at most the last transactions, never the file - the Django
database of the embedded default makes the same trade). On opening, the points are read back
into local mode.

One process at a time: the folder is locked (``.lotse.lock``), as local mode locks its own.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from qdrant_client import QdrantClient, models

logger = logging.getLogger(__name__)

FILE_NAME = "points.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, config BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    collection TEXT NOT NULL, id TEXT NOT NULL, point BLOB NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
"""


class StoreLocked(RuntimeError):
    """Another process has the folder open."""


class PointJournal:
    """Collections (their creation arguments) and points (id, vectors, payload) on disk."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.folder / ".lotse.lock", "a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(
                f"the vector store in {self.folder} is open in another process"
            ) from None
        self.path = self.folder / FILE_NAME
        self.created = not self.path.exists()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file and release the lock; a second call does nothing (a client that
        failed to open closes its journal, then again when it is garbage-collected)."""
        with self._lock:
            if self._lock_file.closed:
                return
            self._db.close()
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    # -- collections ------------------------------------------------------------------------

    def save_collection(self, name: str, config: dict) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO collections VALUES (?, ?)", (name, pickle.dumps(config))
            )

    def drop_collection(self, name: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM collections WHERE name = ?", (name,))
            self._db.execute("DELETE FROM points WHERE collection = ?", (name,))

    def collections(self) -> list[tuple[str, dict]]:
        with self._lock:
            rows = self._db.execute("SELECT name, config FROM collections").fetchall()
        return [(name, pickle.loads(config)) for name, config in rows]

    # -- points -----------------------------------------------------------------------------

    def put(self, collection: str, points: Iterable[tuple[str, dict, dict]]) -> None:
        """(id, vectors, payload) per point, written in one transaction."""
        rows = _rows(collection, points)
        with self._lock, self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?)", rows)

    def remove(self, collection: str, point_ids: Iterable[str]) -> None:
        rows = [(collection, str(point_id)) for point_id in point_ids]
        with self._lock, self._transaction():
            self._db.executemany("DELETE FROM points WHERE collection = ? AND id = ?", rows)

    def replace_all(self, collection: str, points: Iterable[tuple[str, dict, dict]]) -> None:
        """The collection's points are exactly these (after a write not followed point by
        point)."""
        rows = _rows(collection, points)
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM points WHERE collection = ?", (collection,))
            self._db.executemany("INSERT INTO points VALUES (?, ?, ?)", rows)

    def points(self, collection: str, batch: int = 2000) -> Iterator[list[tuple[str, dict, dict]]]:
        """The collection's points in batches: (id, vectors, payload)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT point FROM points WHERE collection = ?", (collection,)
            ).fetchall()
        for start in range(0, len(rows), batch):
            yield [pickle.loads(blob) for (blob,) in rows[start : start + batch]]

    def _transaction(self):
        return _Transaction(self._db)


def _rows(collection: str, points: Iterable[tuple]) -> list[tuple[str, str, bytes]]:
    """Keyed by the id as text; the blob keeps the id itself (an int stays an int)."""
    return [
        (collection, str(point_id), pickle.dumps((point_id, vectors, payload), protocol=5))
        for point_id, vectors, payload in points
    ]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def point_key(point_id):
    """A point id as local mode reports it (UUIDs canonical, as strings)."""
    if isinstance(point_id, int):
        return point_id
    return str(uuid.UUID(str(point_id)))


def plain_vectors(vector) -> dict:
    """Named vectors as plain lists (sparse as ("sparse", indices, values))."""
    if not isinstance(vector, dict):
        raise ValueError("the embedded vector store keeps named vectors only")
    plain = {}
    for name, value in vector.items():
        if isinstance(value, models.SparseVector):
            plain[name] = ("sparse", list(value.indices), list(value.values))
        else:
            plain[name] = [float(x) for x in value]
    return plain


def point_row(point: models.PointStruct) -> tuple:
    return point_key(point.id), plain_vectors(point.vector), point.payload or {}


def point_from_row(point_id, vectors: dict, payload: dict) -> models.PointStruct:
    named = {
        name: models.SparseVector(indices=value[1], values=value[2])
        if isinstance(value, tuple)
        else value
        for name, value in vectors.items()
    }
    return models.PointStruct(id=point_id, vector=named, payload=payload)


def import_local_mode_folder(path: str, journal: PointJournal) -> None:
    """Copy a folder written by qdrant-client's own local mode into the journal, once."""
    if not (Path(path) / "collection").is_dir():
        return
    old = QdrantClient(path=path)
    try:
        for description in old.get_collections().collections:
            name = description.name
            params = old.get_collection(name).config.params
            journal.save_collection(
                name,
                {
                    "vectors_config": params.vectors or {},
                    "sparse_vectors_config": params.sparse_vectors or {},
                },
            )
            records, _ = old.scroll(
                name,
                limit=max(1, old.count(name).count) + 1,
                with_payload=True,
                with_vectors=True,
            )
            journal.put(name, ((r.id, plain_vectors(r.vector), r.payload or {}) for r in records))
            logger.info(
                "vector store: imported %s points of %s from local mode", len(records), name
            )
    finally:
        old.close()
