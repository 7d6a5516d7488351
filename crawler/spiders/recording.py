"""What a page's answer does to the page store, and what the per-URL log says about it.

The spider's ``parse_page`` calls ``record_answer`` for each answered page request; the
links it returns are the ones to follow.
"""

from __future__ import annotations

from scrapy.http import HtmlResponse, Response

from crawler.events import Outcome, UrlEvent
from crawler.middlewares import META_STORED
from crawler.pages import classify_body, links_of, media_type, robots_meta
from crawler.pages import title_of as page_title
from crawler.state import CrawlState
from crawler.store import ChangeKind, content_hash_of

# How the response's body was rendered (PageInfo.render), set by crawler.render.step.
META_RENDER = "lotse_render"

CHANGE_OUTCOMES = {
    ChangeKind.NEW: Outcome.FETCHED_NEW,
    ChangeKind.CHANGED: Outcome.FETCHED_CHANGED,
    ChangeKind.UNCHANGED: Outcome.UNCHANGED,
}


def record_answer(
    state: CrawlState, response: Response, key: str, event: UrlEvent
) -> list[str] | None:
    """Store the fetch, fill in ``event``; return the links to follow."""
    store = state.store
    status = response.status
    config = state.config
    if status in (404, 410):
        store.mark_gone(key, status=status, run_id=config.run_id)
        event.outcome, event.reason = Outcome.GONE, f"http_{status}"
        return None
    if status == 304:
        store.record_fetch(
            key,
            source_id=config.source_id,
            status=status,
            not_modified=True,
            run_id=config.run_id,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            **_caching_headers(response),
            render=response.meta.get(META_RENDER),
        )
        stored = response.meta.get(META_STORED)
        if stored is None or stored.url != key:
            stored = store.get_page(key)
        event.outcome, event.reason = Outcome.UNCHANGED, "not_modified"
        event.content_type, event.content_hash = stored.content_type, stored.content_hash
        event.title = stored.title
        # Links of an unchanged page still count: without them a recrawl would stop here
        # and every page behind it would look unseen. Kept with the page since its last
        # body; a copy stored without them is parsed once more.
        if stored.kind and (stored.links is not None or stored.kind != "html"):
            event.kind = stored.kind
            return list(stored.links or ())
        body = store.load_body(key) or b""
        event.kind = classify_body(stored.content_type, key, body[:1024])
        if event.kind != "html":
            return None
        return _links_to_follow(
            HtmlResponse(key, body=body, headers={"Content-Type": stored.content_type})
        )

    content_type = media_type(response)
    kind = classify_body(content_type, key, response.body[:1024])
    event.content_type, event.kind = content_type, kind
    if not kind:
        event.outcome, event.reason = Outcome.SKIPPED, "unsupported_content_type"
        return None
    if kind == "pdf" and not config.follow_pdfs:
        event.outcome, event.reason = Outcome.SKIPPED, "pdf_disabled"
        return None
    directives = robots_meta(response) if kind == "html" else set()
    links = _links_to_follow(response, directives) if kind == "html" else None
    if "noindex" in directives or "none" in directives:
        had_copy = store.mark_gone(key, status=status, run_id=config.run_id)
        event.outcome = Outcome.GONE if had_copy else Outcome.SKIPPED
        event.reason = "noindex"
        return links
    event.title = page_title(response) if kind == "html" else ""
    change = store.record_fetch(
        key,
        source_id=config.source_id,
        status=status,
        body=response.body,
        content_type=content_type,
        etag=_header(response, b"ETag"),
        last_modified=_header(response, b"Last-Modified"),
        **_caching_headers(response),
        title=event.title,
        run_id=config.run_id,
        page_kind=kind,
        links=links,
        render=response.meta.get(META_RENDER),
    )
    event.outcome = CHANGE_OUTCOMES[change]
    event.content_hash = content_hash_of(response.body)
    return links


def _links_to_follow(response: Response, directives: set[str] | None = None) -> list[str]:
    """The page's links, or none when its robots meta says nofollow."""
    if directives is None:
        directives = robots_meta(response)
    if {"nofollow", "none"} & directives:
        return []
    return links_of(response)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _caching_headers(response: Response) -> dict[str, str | None]:
    """The headers that say how long a copy stays fresh (crawler.freshness)."""
    cache_control = b", ".join(response.headers.getlist(b"Cache-Control"))
    return {
        "cache_control": cache_control.decode("latin-1") if cache_control else None,
        "expires": _header(response, b"Expires"),
        "date": _header(response, b"Date"),
    }
