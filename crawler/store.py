"""The page store: raw bodies, headers and fetch history per URL.

MongoDB in production; without a server an embedded store with the pymongo API (montydb on
SQLite) under a folder. Both are opened by ``open_page_store`` and used through the same
``PageStore`` methods, so the rest of Lotse never knows which one it has.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from crawler.freshness import fresh_until, is_fresh
from crawler.store_embedded import EmbeddedDocsById

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageStoreConfig:
    """``url`` is a mongodb:// URL, or "" for the embedded store under ``path``."""

    url: str
    database: str
    path: str
    timeout_s: float = 5.0

    @property
    def embedded(self) -> bool:
        return not self.url


class PageStoreError(RuntimeError):
    """The page store cannot be reached or opened; the message says what to fix."""


class ChangeKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PageInfo:
    """What the store knows about one URL, without its body."""

    url: str
    status: int | None
    content_type: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    title: str
    sources: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    last_changed: datetime | None
    gone: bool
    run_id: str
    # "html" or "pdf" as the crawler classified the last fetched body ("" before links were kept)
    kind: str = ""
    # an HTML page's links (absolute, page order) as of its stored body; None when not kept
    links: tuple[str, ...] | None = None
    # when the server last confirmed this copy (200 or 304); a sitemap skip does not count
    last_verified: datetime | None = None
    # until when the copy is fresh by the HTTP caching rules (crawler.freshness)
    fresh_until: datetime | None = None

    @property
    def has_body(self) -> bool:
        return self.content_hash is not None and not self.gone


PAGES = "pages"
BLOB_BUCKET = "page_blobs"
# Bodies above this size live outside the page document: MongoDB documents are capped at
# 16 MB, and montydb rewrites the whole document on every update.
INLINE_BODY_MAX = 256 * 1024
HISTORY_LENGTH = 10
# More links than this are not kept with the page (a recrawl then parses the stored body).
MAX_KEPT_LINKS = 2000


def _utcnow() -> datetime:
    return _to_store_time(datetime.now(UTC))


def _to_store_time(value: datetime) -> datetime:
    # Both stores keep milliseconds and hand back naive UTC; store what will come back.
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.replace(tzinfo=None, microsecond=value.microsecond // 1000 * 1000)


def _from_store_time(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _followable_copy(page: PageInfo, source_id: str) -> bool:
    """A live page or PDF of ``source_id`` whose links a crawl can follow without its body."""
    if not page.has_body or page.status != 200 or source_id not in page.sources:
        return False
    return page.kind == "pdf" or (page.kind == "html" and page.links is not None)


def content_hash_of(body: bytes) -> str:
    """The content hash the store keeps for a body (sha256, hex)."""
    return hashlib.sha256(body).hexdigest()


def page_key(url: str) -> str:
    """The store key of a URL: its normalised form (see crawler.scope.normalize_url)."""
    from crawler.scope import normalize_url

    return normalize_url(url)


class PageStore:
    def __init__(self, client, database, *, embedded: bool, blob_dir: Path | None = None):
        self._client = client
        self.db = database
        self.embedded = embedded
        self._blob_dir = blob_dir
        self._by_id = EmbeddedDocsById(database[PAGES]) if embedded else None

    def ping(self) -> None:
        """Raise PageStoreError unless the store answers."""
        try:
            if self.embedded:
                self.db["pages"].find_one({"_id": "__ping__"})
            else:
                self._client.admin.command("ping")
        except Exception as exc:  # pymongo raises many kinds; all mean "not reachable"
            raise PageStoreError(f"page store not reachable: {exc}") from exc

    def close(self) -> None:
        if self._by_id is not None:
            self._by_id.close()
        self._client.close()

    @property
    def pages(self):
        return self.db[PAGES]

    def ensure_indexes(self) -> None:
        """Create the lookup indexes; safe to call on every start."""
        self.pages.create_index("sources")
        self.pages.create_index("run_id")

    # -- reads ---------------------------------------------------------------------------

    def _find(self, key: str, projection: dict[str, int] | None = None) -> dict[str, Any] | None:
        if self._by_id is not None:
            return self._by_id.get(key)
        return self.pages.find_one({"_id": key}, projection)

    def get_page(self, url: str) -> PageInfo | None:
        doc = self._find(page_key(url), {"body": 0})
        return None if doc is None else self._page_info(doc)

    def load_body(self, url: str) -> bytes | None:
        """The last stored body of ``url``; None when unknown or gone."""
        doc = self._find(page_key(url))
        if doc is None or doc.get("gone") or doc.get("content_hash") is None:
            return None
        if doc.get("body") is not None:
            return bytes(doc["body"])
        blob = doc.get("body_blob")
        return None if blob is None else self._read_blob(blob)

    def urls_seen_for_source(self, source_id: str, *, run_id: str | None = None) -> set[str]:
        """URLs of the source's pages that are not gone (optionally: seen in ``run_id``)."""
        query: dict[str, Any] = {"sources": source_id, "gone": False}
        if run_id is not None:
            query["run_id"] = run_id
        return {doc["_id"] for doc in self.pages.find(query, {"_id": 1})}

    def urls_not_seen_in_run(self, source_id: str, run_id: str) -> set[str]:
        """Pages of the source that a run did not reach; gone only if that run was complete."""
        query = {"sources": source_id, "gone": False, "run_id": {"$ne": run_id}}
        return {doc["_id"] for doc in self.pages.find(query, {"_id": 1})}

    def source_ids(self) -> set[str]:
        """Every source id a stored page belongs to."""
        return {str(value) for value in self.pages.distinct("sources") if value}

    # -- writes --------------------------------------------------------------------------

    def record_fetch(
        self,
        url: str,
        *,
        source_id: str,
        status: int,
        body: bytes | None = None,
        content_type: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
        cache_control: str | None = None,
        expires: str | None = None,
        date: str | None = None,
        title: str = "",
        run_id: str = "",
        not_modified: bool = False,
        page_kind: str = "",
        links: list[str] | None = None,
        now: datetime | None = None,
    ) -> ChangeKind:
        """Store one successful fetch and say whether the page is new, changed or unchanged.

        ``not_modified`` records a 304 answer to a conditional GET: the stored body stays, and
        so do its kind and links. Otherwise ``page_kind`` ("html"/"pdf") and an HTML page's
        ``links`` are kept with the body, so a recrawl that gets a 304, or that a sitemap's
        lastmod tells the page is unchanged, follows them without parsing the body again.
        ``cache_control``, ``expires`` and ``date`` are the response's caching headers: with
        ``last_modified`` and the page's history they say until when the copy is fresh
        (``fresh_until``, see crawler.freshness); a 304 without them keeps the stored ones.
        Idempotent: recording the same fetch twice gives UNCHANGED the second time and the
        same stored page.
        """
        key = page_key(url)
        now = _to_store_time(now) if now else _utcnow()
        old = self._find(key)
        known = old is not None and not old.get("gone") and old.get("content_hash") is not None
        if not_modified:
            if not known:
                raise ValueError(f"304 for {key}, but the store has no copy of it")
            content_hash, kind = old["content_hash"], ChangeKind.UNCHANGED
        else:
            if body is None:
                raise ValueError("record_fetch needs a body unless not_modified")
            content_hash = content_hash_of(body)
            if not known:
                kind = ChangeKind.NEW
            elif old["content_hash"] != content_hash:
                kind = ChangeKind.CHANGED
            else:
                kind = ChangeKind.UNCHANGED

        doc = dict(old or {})
        doc.update(
            _id=key,
            url=key,
            sources=sorted({*(doc.get("sources") or []), source_id}),
            status=old.get("status", 200) if not_modified else status,
            content_hash=content_hash,
            last_seen=now,
            last_verified=now,
            last_fetched_status=status,
            run_id=run_id,
            gone=False,
            gone_status=None,
        )
        if etag is not None or not not_modified:
            doc["etag"] = etag
        if last_modified is not None or not not_modified:
            doc["last_modified"] = last_modified
        if cache_control is not None or expires is not None or not not_modified:
            doc["cache_control"], doc["expires"] = cache_control, expires
        if not not_modified:
            doc["content_type"] = content_type
            doc["title"] = title
            doc["kind"] = page_kind
            doc["links"] = links if links is not None and len(links) <= MAX_KEPT_LINKS else None
        if kind is ChangeKind.NEW and not doc.get("first_seen"):
            doc["first_seen"] = now
        old_blob = (old or {}).get("body_blob")
        if kind is not ChangeKind.UNCHANGED:
            doc["last_changed"] = now
        doc["fresh_until"] = _to_store_time(
            fresh_until(
                verified_at=now.replace(tzinfo=UTC),
                cache_control=doc.get("cache_control"),
                expires=doc.get("expires"),
                date=date,
                last_modified=doc.get("last_modified"),
                first_seen=_from_store_time(doc.get("first_seen")),
                last_changed=_from_store_time(doc.get("last_changed")),
            )
        )
        if kind is not ChangeKind.UNCHANGED:
            doc["body_size"] = len(body)
            if len(body) > INLINE_BODY_MAX:
                self._write_blob(content_hash, body)
                doc["body"], doc["body_blob"] = None, content_hash
            else:
                doc["body"], doc["body_blob"] = body, None
        history = list(doc.get("history") or [])
        history.append({"at": now, "status": status, "change": kind.value})
        doc["history"] = history[-HISTORY_LENGTH:]
        if self._by_id is not None:
            self._by_id.put(doc)
        else:
            self.pages.replace_one({"_id": key}, doc, upsert=True)
        if old_blob and old_blob != doc.get("body_blob"):
            self._drop_blob_if_unused(old_blob)
        return kind

    def unchanged_per_sitemap(
        self,
        url: str,
        *,
        source_id: str,
        run_id: str,
        lastmod: datetime,
        trust_days: float,
        now: datetime | None = None,
    ) -> PageInfo | None:
        """Vouch for our copy of ``url`` without fetching it, if its sitemap ``lastmod`` is
        older than the server's last confirmation of the copy (200 or 304) and that was at
        most ``trust_days`` ago; the copy must be a live page or PDF of ``source_id`` (a page
        with its links kept). Then count it seen in ``run_id`` and return it; else None.
        ``last_verified`` stays: only the server can renew it."""
        key = page_key(url)
        old = self._find(key)
        if old is None or old.get("gone") or old.get("content_hash") is None:
            return None
        page = self._page_info(old)
        now = _to_store_time(now) if now else _utcnow()
        verified = page.last_verified
        if verified is None or lastmod >= verified:
            return None
        if now.replace(tzinfo=UTC) - verified > timedelta(days=trust_days):
            return None
        if not _followable_copy(page, source_id):
            return None
        self._count_seen(old, run_id=run_id, now=now, change="unchanged_per_sitemap")
        return page

    def unchanged_while_fresh(
        self,
        page: PageInfo,
        *,
        source_id: str,
        run_id: str,
        max_days: float,
        now: datetime | None = None,
    ) -> bool:
        """Vouch for ``page`` (as ``get_page`` returned it) without fetching it, if its copy
        is still fresh by the HTTP caching rules and the server confirmed it at most
        ``max_days`` ago (crawler.freshness); the copy must be a live page or PDF of
        ``source_id`` with its links kept. Then count it seen in ``run_id`` and return True.
        ``last_verified`` and ``fresh_until`` stay: only the server can renew them."""
        now = _to_store_time(now) if now else _utcnow()
        if not _followable_copy(page, source_id):
            return False
        aware_now = now.replace(tzinfo=UTC)
        if not is_fresh(page.fresh_until, page.last_verified, max_days=max_days, now=aware_now):
            return False
        old = self._find(page.url)
        if old is None or old.get("gone") or old.get("content_hash") != page.content_hash:
            return False  # changed since it was read
        self._count_seen(old, run_id=run_id, now=now, change="unchanged_while_fresh")
        return True

    def _count_seen(self, old: dict[str, Any], *, run_id: str, now: datetime, change: str) -> None:
        """Count a page seen in ``run_id`` without a fetch; its history says why."""
        history = list(old.get("history") or [])
        history.append({"at": now, "status": None, "change": change})
        update = {"last_seen": now, "run_id": run_id, "history": history[-HISTORY_LENGTH:]}
        if self._by_id is not None:
            self._by_id.put({**old, **update})
        else:
            self.pages.update_one({"_id": old["_id"]}, {"$set": update})

    def mark_gone(
        self, url: str, *, status: int | None = None, run_id: str = "", now: datetime | None = None
    ) -> bool:
        """Mark a page gone (404/410, or unseen after a complete run) and drop its body.

        Returns True when the store had a live copy, i.e. the caller has something to delete.
        Calling it again returns False.
        """
        key = page_key(url)
        old = self._find(key)
        if old is None or old.get("gone"):
            return False
        now = _to_store_time(now) if now else _utcnow()
        history = list(old.get("history") or [])
        history.append({"at": now, "status": status, "change": "gone"})
        update = {
            "gone": True,
            "gone_status": status,
            "gone_at": now,
            "content_hash": None,
            "body": None,
            "body_blob": None,
            "etag": None,
            "last_modified": None,
            "fresh_until": None,
            "history": history[-HISTORY_LENGTH:],
        }
        if run_id:
            update["run_id"] = run_id
        if self._by_id is not None:
            self._by_id.put({**old, **update})
        else:
            self.pages.update_one({"_id": key}, {"$set": update})
        if old.get("body_blob"):
            self._drop_blob_if_unused(old["body_blob"])
        return old.get("content_hash") is not None

    def forget_source(self, source_id: str) -> int:
        """Forget a deleted source: its pages that no other source shares are deleted with
        their bodies; shared pages only lose the source. Returns how many pages were deleted.
        Idempotent: a second call finds nothing of the source."""
        deleted = 0
        for doc in list(self.pages.find({"sources": source_id}, {"_id": 1})):
            old = self._find(doc["_id"])
            if old is None:
                continue
            others = sorted(set(old.get("sources") or ()) - {source_id})
            if others:
                if self._by_id is not None:
                    self._by_id.put({**old, "sources": others})
                else:
                    self.pages.update_one({"_id": old["_id"]}, {"$set": {"sources": others}})
                continue
            self.pages.delete_one({"_id": old["_id"]})
            deleted += 1
            if old.get("body_blob"):
                self._drop_blob_if_unused(old["body_blob"])
        return deleted

    # -- bodies stored out of line -------------------------------------------------------

    def _blob_path(self, digest: str) -> Path:
        if self._blob_dir is None:
            raise PageStoreError("embedded page store opened without a blob folder")
        return self._blob_dir / digest

    def _write_blob(self, digest: str, body: bytes) -> None:
        # Content-addressed: an existing blob of that hash already holds these bytes.
        if self.embedded:
            path = self._blob_path(digest)
            if path.exists():
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(body)
                os.replace(tmp, path)  # readers never see half a file
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return
        import gridfs

        fs = gridfs.GridFS(self.db, collection=BLOB_BUCKET)
        if fs.exists(digest):
            return
        try:
            fs.put(body, _id=digest)
        except gridfs.errors.FileExists:
            pass  # another process stored the same bytes first

    def _read_blob(self, digest: str) -> bytes | None:
        if self.embedded:
            try:
                return self._blob_path(digest).read_bytes()
            except FileNotFoundError:
                logger.warning("page body blob %s is missing", digest)
                return None
        import gridfs

        try:
            return gridfs.GridFS(self.db, collection=BLOB_BUCKET).get(digest).read()
        except gridfs.errors.NoFile:
            logger.warning("page body blob %s is missing", digest)
            return None

    def _drop_blob_if_unused(self, digest: str) -> None:
        if self.pages.count_documents({"body_blob": digest}) > 0:
            return
        if self.embedded:
            self._blob_path(digest).unlink(missing_ok=True)
            return
        import gridfs

        gridfs.GridFS(self.db, collection=BLOB_BUCKET).delete(digest)

    @staticmethod
    def _page_info(doc: dict[str, Any]) -> PageInfo:
        return PageInfo(
            url=doc["_id"],
            status=doc.get("status"),
            content_type=doc.get("content_type") or "",
            etag=doc.get("etag"),
            last_modified=doc.get("last_modified"),
            content_hash=doc.get("content_hash"),
            title=doc.get("title") or "",
            sources=tuple(doc.get("sources") or ()),
            first_seen=_from_store_time(doc.get("first_seen")),
            last_seen=_from_store_time(doc.get("last_seen")),
            last_changed=_from_store_time(doc.get("last_changed")),
            gone=bool(doc.get("gone")),
            run_id=doc.get("run_id") or "",
            kind=doc.get("kind") or "",
            links=None if doc.get("links") is None else tuple(doc["links"]),
            last_verified=_from_store_time(doc.get("last_verified") or doc.get("last_seen")),
            fresh_until=_from_store_time(doc.get("fresh_until")),
        )


_embedded_lock = threading.Lock()


def open_page_store(config: PageStoreConfig) -> PageStore:
    if config.embedded:
        return _open_embedded(config)
    import pymongo

    timeout_ms = int(config.timeout_s * 1000)
    client = pymongo.MongoClient(
        config.url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms, 30_000),
        appname="lotse",
    )
    return PageStore(client, client[config.database], embedded=False)


def _open_embedded(config: PageStoreConfig) -> PageStore:
    from montydb import MontyClient, set_storage

    folder = Path(config.path)
    with _embedded_lock:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / "monty.storage.cfg").exists():
                set_storage(str(folder), storage="sqlite", use_bson=False)
            client = MontyClient(str(folder))
        except OSError as exc:
            raise PageStoreError(f"cannot open the embedded page store in {folder}: {exc}") from exc
    return PageStore(client, client[config.database], embedded=True, blob_dir=folder / "blobs")
