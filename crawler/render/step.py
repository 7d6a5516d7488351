"""The render step of a page crawl: between the raw answer and the page store.

``SiteSpider`` calls :func:`render_step` for every answered page of a source whose ``render``
is *auto* or *always* (crawler.config). In order:

1. Anything but a 200 HTML answer goes on as it is: a 304 keeps the stored rendering (the
   conditional GET on the raw response decides first), a PDF is no page to render.
2. *always* renders; *auto* renders when crawler.render.heuristic finds a reason.
3. A raw answer identical to the one the stored rendering was made from keeps that rendering
   (outcome ``unchanged``) unless it is older than the source's ``max_revisit_days``: data a
   script loads from an API may have changed behind an unchanged page.
4. The rendered DOM goes to the same path as a raw page (crawler.spiders.recording); when its
   visible text hashes as before, the stored copy stays and nothing is re-indexed.

The per-URL log's ``reason`` says it: ``rendered: <why>`` (``always``, ``framework_root``,
``noscript_hint``, ``little_text``), ``…; text_unchanged``, ``…; raw_unchanged``; a page
that failed in the browser is ``failed`` with ``render_timeout``, ``browser_crashed``,
``browser_unavailable``, ``render_blocked: …`` or ``render_error: …``; each request the
browser was refused is ``skipped`` with ``browser_blocked: <guard's reason> (page <url>)``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from scrapy.http import Response

from crawler.events import Outcome, UrlEvent
from crawler.middlewares import META_STORED
from crawler.pages import classify_body, media_type
from crawler.render.browser import BrowserPool, RenderFailed
from crawler.render.heuristic import render_reason, text_of
from crawler.scope import InvalidURL
from crawler.spiders.recording import META_RENDER
from crawler.state import CrawlState

logger = logging.getLogger(__name__)

# why a page was rendered, for the spider's per-URL log entry (crawler.spiders.site)
META_RENDER_NOTE = "lotse_render_note"
FORWARDED_HEADERS = ("content-type", "content-language", "link")


def hash_of(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


async def render_step(state: CrawlState, pool: BrowserPool, response: Response) -> Response | None:
    """The response to record: ``response`` itself, its rendering, or a stand-in 304 keeping
    the stored rendering. None: the page failed in the browser (already logged)."""
    config = state.config
    if response.status != 200 or response.meta.get("lotse_aux"):
        return response
    if classify_body(media_type(response), response.url, response.body[:1024]) != "html":
        return response
    why = "always" if config.render == "always" else render_reason(response.body)
    if not why:
        return response
    raw_hash = hash_of(response.body)
    stored = response.meta.get(META_STORED)
    previous = getattr(stored, "render", None) or {}
    now = datetime.now(UTC)
    if previous.get("raw_hash") == raw_hash and not _render_due(previous, config, now):
        return _keep_stored(response, previous, f"rendered: {why}; raw_unchanged")
    headers = {
        k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
        for k, v in response.headers.items()
        if k.decode("latin-1").lower() in FORWARDED_HEADERS
    }
    headers.setdefault("content-type", "text/html")
    try:
        rendered = await pool.render(response.url, response.body, headers)
    except RenderFailed as exc:
        _log_failed(state, response, exc.reason)
        return None
    _log_blocked(state, response, rendered.blocked)
    body = rendered.html.encode("utf-8")
    info = {"raw_hash": raw_hash, "text_hash": hash_of(text_of(body)), "at": now.isoformat()}
    if previous.get("text_hash") == info["text_hash"] and stored is not None:
        return _keep_stored(response, info, f"rendered: {why}; text_unchanged")
    changed_headers = response.headers.copy()
    changed_headers[b"Content-Type"] = b"text/html; charset=utf-8"
    for name in (b"Content-Length", b"Content-Encoding"):
        changed_headers.pop(name, None)
    return response.replace(
        body=body,
        headers=changed_headers,
        encoding="utf-8",
        request=_with_meta(response, {META_RENDER: info, META_RENDER_NOTE: f"rendered: {why}"}),
    )


def _render_due(previous: dict, config, now: datetime) -> bool:
    try:
        at = datetime.fromisoformat(previous.get("at", ""))
    except ValueError:
        return True
    return now - at > timedelta(days=config.max_revisit_days)


def _keep_stored(response: Response, info: dict, note: str) -> Response:
    """A stand-in 304: the store keeps the rendered body, its kind and links; the raw answer's
    validators are recorded for the next conditional GET."""
    return response.replace(
        status=304,
        body=b"",
        request=_with_meta(response, {META_RENDER: info, META_RENDER_NOTE: note}),
    )


def _with_meta(response: Response, meta: dict):
    return response.request.replace(meta={**response.meta, **meta})


def _log_failed(state: CrawlState, response: Response, reason: str) -> None:
    known = META_STORED in response.meta
    state.completeness.page_failed(known=known, reason=reason, status=None)
    requested = response.meta.get("lotse_key", response.url)
    try:
        key = state.scope.normalize(response.url)
    except InvalidURL:
        key = requested
    state.sink.url(
        UrlEvent(
            url=key,
            requested_url=requested if key != requested else "",
            outcome=Outcome.FAILED,
            reason=reason,
            status=response.status,
            depth=response.meta.get("lotse_depth", 0),
            kind="html",
        )
    )


def _log_blocked(state: CrawlState, response: Response, blocked: list) -> None:
    page = response.meta.get("lotse_key", response.url)
    for item in blocked:
        state.sink.url(
            UrlEvent(
                url=item.url[:2000],
                outcome=Outcome.SKIPPED,
                reason=f"browser_blocked: {item.reason} (page {page})"[:300],
                depth=response.meta.get("lotse_depth", 0),
            )
        )
