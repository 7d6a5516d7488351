"""The page store: raw bodies, headers and fetch history per URL.

One interface (``PageStore``, crawler/store/base.py) with two adapters, chosen once by the
config: MongoDB in production (crawler/store/mongo.py, pymongo and GridFS) and, without a
server, an embedded store on the standard library's sqlite3 under a folder
(crawler/store/sqlite.py; crawler/store/upgrade.py converts the montydb store of earlier
versions once). What an operation does to a page is decided in crawler/store/records.py for
both, and tests/crawler/test_store_contract.py holds both to the same behaviour, so the rest of
Lotse never knows which one it has.
"""

from __future__ import annotations

from pathlib import Path

from crawler.store.base import PageStore, PageStoreConfig, PageStoreError, PageStoreUnavailable
from crawler.store.records import (
    HISTORY_LENGTH,
    MAX_KEPT_LINKS,
    ChangeKind,
    PageInfo,
    content_hash_of,
    page_key,
)

__all__ = [
    "HISTORY_LENGTH",
    "INLINE_BODY_MAX",
    "MAX_KEPT_LINKS",
    "ChangeKind",
    "PageInfo",
    "PageStore",
    "PageStoreConfig",
    "PageStoreError",
    "PageStoreUnavailable",
    "content_hash_of",
    "open_page_store",
    "page_key",
]

# A body larger than this is kept out of line by every adapter (each adapter's own limit is
# its ``inline_body_max``; the embedded store's is smaller).
INLINE_BODY_MAX = 256 * 1024


def open_page_store(config: PageStoreConfig) -> PageStore:
    """The store ``config`` names: MongoDB for a URL, else the embedded one under its path
    (``<path>/<database>/``). Raises PageStoreError when it cannot be opened."""
    if config.embedded:
        from crawler.store.sqlite import open_sqlite_store

        if config.database in ("", ".", "..") or Path(config.database).name != config.database:
            raise PageStoreError(f"page store database name {config.database!r} is not a name")
        return open_sqlite_store(Path(config.path) / config.database)
    from crawler.store.mongo import open_mongo_store

    return open_mongo_store(config.url, config.database, config.timeout_s)
