"""What each operation does to a page's record: the rules every page store adapter shares.

A record is a plain dict of the page's fields (validators, caching headers, kind and links,
fetch history, sources, run); the body is not part of it: adapters keep bodies where their
storage handles them best. The functions here are pure: given the stored record (or None) they
return a ``Change`` for the adapter to store, so they may run again when a concurrent writer
got there first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from crawler.freshness import fresh_until, is_fresh

Record = dict[str, Any]

HISTORY_LENGTH = 10
# More links than this are not kept with the page (a recrawl then parses the stored body).
MAX_KEPT_LINKS = 2000


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
    # a page rendered by the browser (crawler.render.step): the raw answer's hash, the
    # rendered text's hash, when it was rendered (ISO text); None: the stored body is raw
    render: dict[str, str] | None = None

    @property
    def has_body(self) -> bool:
        return self.content_hash is not None and not self.gone


@dataclass(frozen=True)
class Change:
    """What one operation does to one page.

    ``record`` is the page's new record (None: leave the page as it is); ``body`` a new body
    to keep with it, whose hash is the record's ``content_hash`` (None: keep the stored body,
    or drop it when the record has no ``content_hash`` any more); ``result`` is what the
    operation returns to its caller. ``delete`` removes the page instead.
    """

    record: Record | None
    body: bytes | None = None
    result: Any = None
    # delete the page (and its body, unless another page has the same one); record is None
    delete: bool = False


def content_hash_of(body: bytes) -> str:
    """The content hash the store keeps for a body (sha256, hex)."""
    return hashlib.sha256(body).hexdigest()


def page_key(url: str) -> str:
    """The store key of a URL: its normalised form (see crawler.scope.normalize_url)."""
    from crawler.scope import normalize_url

    return normalize_url(url)


def store_time(value: datetime | None = None) -> datetime:
    """``value`` (default: now) as both stores keep it: naive UTC, milliseconds."""
    value = value or datetime.now(UTC)
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.replace(tzinfo=None, microsecond=value.microsecond // 1000 * 1000)


def aware(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime; None for anything else."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def page_info(key: str, record: Record) -> PageInfo:
    return PageInfo(
        url=key,
        status=record.get("status"),
        content_type=record.get("content_type") or "",
        etag=record.get("etag"),
        last_modified=record.get("last_modified"),
        content_hash=record.get("content_hash"),
        title=record.get("title") or "",
        sources=tuple(record.get("sources") or ()),
        first_seen=aware(record.get("first_seen")),
        last_seen=aware(record.get("last_seen")),
        last_changed=aware(record.get("last_changed")),
        gone=bool(record.get("gone")),
        run_id=record.get("run_id") or "",
        kind=record.get("kind") or "",
        links=None if record.get("links") is None else tuple(record["links"]),
        last_verified=aware(record.get("last_verified") or record.get("last_seen")),
        fresh_until=aware(record.get("fresh_until")),
        render=record.get("render"),
    )


def has_copy(record: Record | None) -> bool:
    """The store holds a live body for this record."""
    return record is not None and not record.get("gone") and record.get("content_hash") is not None


def _with_history(record: Record, at: datetime, status: int | None, change: str) -> list:
    history = [*(record.get("history") or []), {"at": at, "status": status, "change": change}]
    return history[-HISTORY_LENGTH:]


@dataclass(frozen=True)
class Fetch:
    """One successful answer of a server, as ``PageStore.record_fetch`` was given it."""

    source_id: str
    status: int
    body: bytes | None
    content_type: str
    etag: str | None
    last_modified: str | None
    cache_control: str | None
    expires: str | None
    date: str | None
    title: str
    run_id: str
    not_modified: bool
    page_kind: str
    links: list[str] | None
    now: datetime
    # how the body was rendered (PageInfo.render); None on a 304 keeps what was stored
    render: dict[str, str] | None = None


def fetched(key: str, old: Record | None, fetch: Fetch) -> Change:
    """The record after a 200 (new, changed or unchanged body) or a 304; result: ChangeKind."""
    now, not_modified = fetch.now, fetch.not_modified
    known = has_copy(old)
    if not_modified:
        if not known:
            raise ValueError(f"304 for {key}, but the store has no copy of it")
        content_hash, kind = old["content_hash"], ChangeKind.UNCHANGED
    else:
        content_hash = content_hash_of(fetch.body)
        if not known:
            kind = ChangeKind.NEW
        elif old["content_hash"] != content_hash:
            kind = ChangeKind.CHANGED
        else:
            kind = ChangeKind.UNCHANGED

    record = dict(old or {})
    record.update(
        url=key,
        sources=sorted({*(record.get("sources") or []), fetch.source_id}),
        status=record.get("status", 200) if not_modified else fetch.status,
        content_hash=content_hash,
        last_seen=now,
        last_verified=now,
        last_fetched_status=fetch.status,
        run_id=fetch.run_id,
        gone=False,
        gone_status=None,
    )
    # a 304 that does not repeat a validator or caching header keeps the stored one
    if fetch.etag is not None or not not_modified:
        record["etag"] = fetch.etag
    if fetch.last_modified is not None or not not_modified:
        record["last_modified"] = fetch.last_modified
    if fetch.cache_control is not None or fetch.expires is not None or not not_modified:
        record["cache_control"], record["expires"] = fetch.cache_control, fetch.expires
    if fetch.render is not None or not not_modified:
        record["render"] = fetch.render
    if not not_modified:
        record["content_type"] = fetch.content_type
        record["title"] = fetch.title
        record["kind"] = fetch.page_kind
        links = fetch.links
        record["links"] = links if links is not None and len(links) <= MAX_KEPT_LINKS else None
    if kind is ChangeKind.NEW and not record.get("first_seen"):
        record["first_seen"] = now
    if kind is not ChangeKind.UNCHANGED:
        record["last_changed"] = now
        record["body_size"] = len(fetch.body)
    record["fresh_until"] = store_time(
        fresh_until(
            verified_at=now.replace(tzinfo=UTC),
            cache_control=record.get("cache_control"),
            expires=record.get("expires"),
            date=fetch.date,
            last_modified=record.get("last_modified"),
            first_seen=aware(record.get("first_seen")),
            last_changed=aware(record.get("last_changed")),
        )
    )
    record["history"] = _with_history(record, now, fetch.status, kind.value)
    body = None if kind is ChangeKind.UNCHANGED else fetch.body
    return Change(record=record, body=body, result=kind)


def _followable_copy(page: PageInfo, source_id: str) -> bool:
    """A live page or PDF of ``source_id`` whose links a crawl can follow without its body."""
    if not page.has_body or page.status != 200 or source_id not in page.sources:
        return False
    return page.kind == "pdf" or (page.kind == "html" and page.links is not None)


def _seen(record: Record, run_id: str, now: datetime, change: str) -> Record:
    """Counted seen in ``run_id`` without a fetch; its history says why."""
    history = _with_history(record, now, None, change)
    return {**record, "last_seen": now, "run_id": run_id, "history": history}


def vouched_per_sitemap(
    key: str,
    old: Record | None,
    source_id: str,
    run_id: str,
    lastmod: datetime,
    trust_days: float,
    now: datetime,
) -> Change:
    """Seen per the sitemap's lastmod (see PageStore.unchanged_per_sitemap); result: the
    page as it was read, or None (and no change)."""
    if not has_copy(old):
        return Change(record=None)
    page = page_info(key, old)
    verified = page.last_verified
    if verified is None or lastmod >= verified:
        return Change(record=None)
    if now.replace(tzinfo=UTC) - verified > timedelta(days=trust_days):
        return Change(record=None)
    if not _followable_copy(page, source_id):
        return Change(record=None)
    return Change(record=_seen(old, run_id, now, "unchanged_per_sitemap"), result=page)


def fresh_followable(page: PageInfo, source_id: str, max_days: float, now: datetime) -> bool:
    """``page`` may be vouched for while fresh (see PageStore.unchanged_while_fresh)."""
    if not _followable_copy(page, source_id):
        return False
    return is_fresh(page.fresh_until, page.last_verified, max_days=max_days, now=aware(now))


def vouched_while_fresh(old: Record | None, page: PageInfo, run_id: str, now: datetime) -> Change:
    """Seen while fresh, unless the stored copy is not the one ``page`` describes; result: bool."""
    if not has_copy(old) or old.get("content_hash") != page.content_hash:
        return Change(record=None, result=False)  # changed since it was read
    return Change(record=_seen(old, run_id, now, "unchanged_while_fresh"), result=True)


def gone(old: Record | None, status: int | None, run_id: str, now: datetime) -> Change:
    """Gone (404/410, or unseen after a complete run), its body dropped; result: whether
    there was a live copy."""
    if old is None or old.get("gone"):
        return Change(record=None, result=False)
    record = {
        **old,
        "gone": True,
        "gone_status": status,
        "gone_at": now,
        "content_hash": None,
        "etag": None,
        "last_modified": None,
        "fresh_until": None,
        "history": _with_history(old, now, status, "gone"),
    }
    if run_id:
        record["run_id"] = run_id
    return Change(record=record, result=old.get("content_hash") is not None)


def without_source(old: Record | None, source_id: str) -> Change:
    """The page without ``source_id`` (a deleted source); deleted when no source is left.
    Result: whether the page was deleted."""
    if old is None or source_id not in (old.get("sources") or ()):
        return Change(record=None, result=False)
    others = sorted(set(old["sources"]) - {source_id})
    if not others:
        return Change(record=None, delete=True, result=True)
    return Change(record={**old, "sources": others}, result=False)
