"""The page store on a MongoDB server (pymongo), for deployments with servers.

One document per URL key in the ``pages`` collection: the page's record, a body up to
``INLINE_BODY_MAX`` in ``body``, and a larger one (MongoDB caps a document at 16 MB) in the
GridFS bucket ``page_blobs`` under its content hash, named in ``body_blob``: shared by the pages
that have the same body, deleted when no page names it any more. This is the layout earlier
Lotse versions wrote, so an existing database needs no migration.

MongoDB has no multi-document transaction without a replica set, so a write is a
compare-and-swap on the document's ``rev`` counter: when another process changed the page
between our read and our write, the operation reads again and redoes its change. Every query
goes by ``_id`` or through an index made by ``ensure_indexes``.

pymongo's network trouble (no server selected, a connection lost, a timeout) leaves every
primitive as :class:`PageStoreUnavailable`, a transient error the tasks retry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from crawler.store.base import PageStore, PageStoreError, PageStoreUnavailable
from crawler.store.records import Change, Record

logger = logging.getLogger(__name__)

PAGES = "pages"
BLOB_BUCKET = "page_blobs"
INLINE_BODY_MAX = 256 * 1024
# fields of a page document that are not part of its record
_STORAGE_FIELDS = ("_id", "body", "body_blob", "rev")
_WITHOUT_BODY = {"body": 0}
# a page rewritten by others this often while we tried is a bug, not contention
_MAX_ATTEMPTS = 20

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _network_errors_transient(method: _Method) -> _Method:
    """Raise pymongo's connection failures and timeouts of ``method`` as PageStoreUnavailable."""

    @functools.wraps(method)
    def translated(*args: Any, **kwargs: Any) -> Any:
        from pymongo.errors import ConnectionFailure, ExecutionTimeout

        try:
            return method(*args, **kwargs)
        # ConnectionFailure covers AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
        except (ConnectionFailure, ExecutionTimeout) as exc:
            raise PageStoreUnavailable(f"page store not reachable: {exc}") from exc

    return translated  # type: ignore[return-value]


class MongoPageStore(PageStore):
    embedded = False
    inline_body_max = INLINE_BODY_MAX

    def __init__(self, client: Any, database: Any):
        self._client = client
        self.db = database
        self.pages = database[PAGES]

    def ping(self) -> None:
        try:
            self._client.admin.command("ping")
        except Exception as exc:  # pymongo raises many kinds; all mean "not reachable"
            raise PageStoreUnavailable(f"page store not reachable: {exc}") from exc

    def close(self) -> None:
        self._client.close()

    @_network_errors_transient
    def ensure_indexes(self) -> None:
        self.pages.create_index("sources")
        self.pages.create_index("run_id")
        # the reference count of a shared body file, asked whenever a page's body changes
        self.pages.create_index("body_blob")

    # -- primitives --------------------------------------------------------------------------

    @_network_errors_transient
    def _read(self, key: str) -> Record | None:
        return _record(self.pages.find_one({"_id": key}, _WITHOUT_BODY))

    @_network_errors_transient
    def _read_body(self, key: str) -> bytes | None:
        doc = self.pages.find_one({"_id": key, "gone": False}, {"body": 1, "body_blob": 1})
        if doc is None:
            return None
        if doc.get("body") is not None:
            return bytes(doc["body"])
        blob = doc.get("body_blob")
        return None if blob is None else self._read_blob(blob)

    @_network_errors_transient
    def _keys(
        self,
        source_id: str,
        *,
        run_id: str | None = None,
        other_run_than: str | None = None,
        with_gone: bool = False,
    ) -> set[str]:
        query: dict[str, Any] = {"sources": source_id}
        if not with_gone:
            query["gone"] = False
        if run_id is not None:
            query["run_id"] = run_id
        if other_run_than is not None:
            query["run_id"] = {"$ne": other_run_than}
        return {doc["_id"] for doc in self.pages.find(query, {"_id": 1})}

    @_network_errors_transient
    def _source_ids(self) -> set[str]:
        # answered from the "sources" index
        return {str(value) for value in self.pages.distinct("sources") if value}

    @_network_errors_transient
    def _modify(self, key: str, change: Callable[[Record | None], Change]) -> Any:
        from pymongo.errors import DuplicateKeyError

        for _ in range(_MAX_ATTEMPTS):
            doc = self.pages.find_one({"_id": key}, {"body": 0})
            outcome = change(_record(doc))
            if outcome.delete and doc is not None:
                gone = self.pages.delete_one({"_id": key, "rev": doc.get("rev")})
                if gone.deleted_count == 0:
                    continue  # changed under us
                if doc.get("body_blob"):
                    self._drop_blob_if_unused(doc["body_blob"])
                return outcome.result
            if outcome.record is None:
                return outcome.result
            fields = {k: v for k, v in outcome.record.items() if k not in _STORAGE_FIELDS}
            old_blob = (doc or {}).get("body_blob")
            if outcome.body is not None:
                fields.update(self._body_fields(outcome.record["content_hash"], outcome.body))
            elif fields.get("content_hash") is None:
                fields.update(body=None, body_blob=None)
            rev = (doc or {}).get("rev")  # None in documents of earlier versions
            fields["rev"] = (rev or 0) + 1
            if doc is None:
                try:
                    self.pages.insert_one({"_id": key, "body": None, "body_blob": None, **fields})
                except DuplicateKeyError:
                    continue  # another process stored the page first
            else:
                # {"rev": None} also matches a document without the field
                done = self.pages.update_one({"_id": key, "rev": rev}, {"$set": fields})
                if done.matched_count == 0:
                    continue  # changed under us
            if old_blob and "body_blob" in fields and old_blob != fields["body_blob"]:
                self._drop_blob_if_unused(old_blob)
            return outcome.result
        raise PageStoreError(f"page {key} kept changing while it was being stored")

    # -- bodies ------------------------------------------------------------------------------

    def _body_fields(self, digest: str, body: bytes) -> dict[str, Any]:
        if len(body) <= self.inline_body_max:
            return {"body": body, "body_blob": None}
        self._write_blob(digest, body)
        return {"body": None, "body_blob": digest}

    def _bucket(self) -> Any:
        import gridfs

        return gridfs.GridFS(self.db, collection=BLOB_BUCKET)

    def _write_blob(self, digest: str, body: bytes) -> None:
        import gridfs

        fs = self._bucket()
        if fs.exists(digest):
            return  # content-addressed: these bytes are stored already
        try:
            fs.put(body, _id=digest)
        except gridfs.errors.FileExists:
            pass  # another process stored the same bytes first

    def _read_blob(self, digest: str) -> bytes | None:
        import gridfs

        try:
            return self._bucket().get(digest).read()
        except gridfs.errors.NoFile:
            logger.warning("page body blob %s is missing", digest)
            return None

    def _drop_blob_if_unused(self, digest: str) -> None:
        if self.pages.find_one({"body_blob": digest}, {"_id": 1}) is not None:
            return
        self._bucket().delete(digest)


def _record(doc: dict[str, Any] | None) -> Record | None:
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k not in _STORAGE_FIELDS}


def open_mongo_store(url: str, database: str, timeout_s: float) -> MongoPageStore:
    import pymongo

    timeout_ms = int(timeout_s * 1000)
    client = pymongo.MongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms, 30_000),
        appname="lotse",
    )
    return MongoPageStore(client, client[database])
