"""The page store's interface: what the crawler and the backend call, in one class.

``PageStore`` implements every public method once, on top of four storage primitives that an
adapter provides (``_read``, ``_read_body``, ``_modify``, ``_keys``): what a fetch, a vouch or a
removal does to a page's record is decided in ``crawler.store.records`` for every adapter alike,
so the embedded store and MongoDB cannot drift apart. Each primitive touches one page by its key
(or, for ``_keys``, the pages of one source through an index): no operation reads a whole
collection, so a page costs the same in a store of ten pages as in one of a million.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.store import records
from crawler.store.records import Change, ChangeKind, PageInfo, Record, page_key
from rag.errors import TransientError


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


class PageStoreUnavailable(PageStoreError, TransientError):
    """The page store's server is away or timed out: the same call may succeed later, so the
    tasks retry it (the one transient-error type of :mod:`rag.errors`)."""


class PageStore(ABC):
    """Raw bodies, headers and fetch history per URL; see crawler.store for the adapters."""

    #: True for the store under a folder (no server); /readyz reports it.
    embedded: bool
    #: Bodies up to this size are kept next to their page; larger ones out of line (a file,
    #: a GridFS file). Each adapter sets it by what its storage handles best.
    inline_body_max: int

    # -- what an adapter provides ------------------------------------------------------------

    @abstractmethod
    def ping(self) -> None:
        """Raise PageStoreError unless the store answers."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store is not used afterwards."""

    @abstractmethod
    def ensure_indexes(self) -> None:
        """Create what the queries need; safe to call on every start."""

    @abstractmethod
    def _read(self, key: str) -> Record | None:
        """The record of one page (no body), or None."""

    @abstractmethod
    def _read_body(self, key: str) -> bytes | None:
        """The stored body of one page that is not gone, or None."""

    @abstractmethod
    def _modify(self, key: str, change: Callable[[Record | None], Change]) -> Any:
        """Read the page, call ``change`` with its record (None when unknown), store (or
        delete) what it says atomically and return its ``result``. ``change`` may be called again when another
        writer changed the page in between, so it must not have side effects."""

    @abstractmethod
    def _keys(
        self,
        source_id: str,
        *,
        run_id: str | None = None,
        other_run_than: str | None = None,
        with_gone: bool = False,
    ) -> set[str]:
        """Keys of the source's pages that are not gone (``with_gone``: all of them),
        optionally by their last run."""

    @abstractmethod
    def _source_ids(self) -> set[str]:
        """Every source id that a stored page names (through an index, not the pages)."""

    # -- the interface -----------------------------------------------------------------------

    def get_page(self, url: str) -> PageInfo | None:
        key = page_key(url)
        record = self._read(key)
        return None if record is None else records.page_info(key, record)

    def load_body(self, url: str) -> bytes | None:
        """The last stored body of ``url``; None when unknown or gone."""
        return self._read_body(page_key(url))

    def urls_seen_for_source(self, source_id: str, *, run_id: str | None = None) -> set[str]:
        """URLs of the source's pages that are not gone (optionally: seen in ``run_id``)."""
        return self._keys(source_id, run_id=run_id)

    def urls_not_seen_in_run(self, source_id: str, run_id: str) -> set[str]:
        """Pages of the source that a run did not reach; gone only if that run was complete."""
        return self._keys(source_id, other_run_than=run_id)

    def source_ids(self) -> set[str]:
        """Every source id a stored page belongs to."""
        return self._source_ids()

    def forget_source(self, source_id: str) -> int:
        """Forget a deleted source: its pages that no other source shares are deleted with
        their bodies; shared pages only lose the source. Returns how many pages were deleted.
        Idempotent: a second call finds nothing of the source."""
        deleted = 0
        for key in sorted(self._keys(source_id, with_gone=True)):
            if self._modify(key, lambda old: records.without_source(old, source_id)):
                deleted += 1
        return deleted

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
        render: dict[str, str] | None = None,
    ) -> ChangeKind:
        """Store one successful fetch and say whether the page is new, changed or unchanged.

        ``not_modified`` records a 304 answer to a conditional GET: the stored body stays, and
        so do its kind and links. Otherwise ``page_kind`` ("html"/"pdf") and an HTML page's
        ``links`` are kept with the body, so a recrawl that gets a 304, or that a sitemap's
        lastmod tells the page is unchanged, follows them without parsing the body again.
        ``cache_control``, ``expires`` and ``date`` are the response's caching headers: with
        ``last_modified`` and the page's history they say until when the copy is fresh
        (``fresh_until``, see crawler.freshness); a 304 without them keeps the stored ones.
        ``render`` says the body is a browser's rendering (``PageInfo.render``).
        Idempotent: recording the same fetch twice gives UNCHANGED the second time and the
        same stored page.
        """
        key = page_key(url)
        if not not_modified and body is None:
            raise ValueError("record_fetch needs a body unless not_modified")
        fetch = records.Fetch(
            source_id=source_id,
            status=status,
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            cache_control=cache_control,
            expires=expires,
            date=date,
            title=title,
            run_id=run_id,
            not_modified=not_modified,
            page_kind=page_kind,
            links=links,
            now=records.store_time(now),
            render=render,
        )
        return self._modify(key, lambda old: records.fetched(key, old, fetch))

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
        key, now = page_key(url), records.store_time(now)
        return self._modify(
            key,
            lambda old: records.vouched_per_sitemap(
                key, old, source_id, run_id, lastmod, trust_days, now
            ),
        )

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
        now = records.store_time(now)
        if not records.fresh_followable(page, source_id, max_days, now):
            return False  # decided without touching the store
        return self._modify(
            page.url, lambda old: records.vouched_while_fresh(old, page, run_id, now)
        )

    def mark_gone(
        self, url: str, *, status: int | None = None, run_id: str = "", now: datetime | None = None
    ) -> bool:
        """Mark a page gone (404/410, or unseen after a complete run) and drop its body.

        Returns True when the store had a live copy, i.e. the caller has something to delete.
        Calling it again returns False.
        """
        now = records.store_time(now)
        return self._modify(page_key(url), lambda old: records.gone(old, status, run_id, now))
