"""The crawl's headless browser: Debian's Chromium driven by Playwright, in the crawl child.

One ``BrowserPool`` per crawl process (one crawl of one source), started at the first page that
needs it, on the asyncio loop Scrapy runs on. At most ``render_concurrency`` pages render at
once; one browser context for the source (no cookies or storage from any other source, nor
from an earlier crawl: every crawl process starts its own browser), service workers blocked,
downloads refused, images, fonts and media never loaded. The browser is started afresh after
``render_pages_per_browser`` pages and after a crash.

Every request the browser makes — the page's scripts, XHR and fetch, iframes, redirects,
navigations, popups — passes :func:`crawler.render.guard.check_request`; the page's own
document is answered from the response the crawler already fetched (so robots.txt, politeness
and the conditional GET applied to it). WebSockets are refused.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from crawler.config import CrawlConfig
from crawler.netguard import NetGuard
from crawler.render.guard import Blocked, check_request

logger = logging.getLogger(__name__)

LAUNCH_ARGS = [
    # In a container Chromium has no user namespaces for its sandbox; the crawl child is
    # the sandbox boundary (an unprivileged user in the image).
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-features=MediaRouter,OptimizationHints,Translate",
    "--blink-settings=imagesEnabled=false",
    "--js-flags=--max-old-space-size=512",
    "--renderer-process-limit=2",
]
SKIPPED_RESOURCES = frozenset({"image", "font", "media"})
# Expanding collapsed content: <details>, and buttons (never links, never in a form) that say
# they control collapsed content. Clicking them runs the page's own script.
EXPAND_SCRIPT = """() => {
  let n = 0;
  for (const d of document.querySelectorAll('details:not([open])')) { d.open = true; n++; }
  const buttons = document.querySelectorAll(
    'button[aria-expanded="false"], [role="button"][aria-expanded="false"]');
  for (const b of Array.from(buttons).slice(0, 200)) {
    if (b.closest('form') || b.closest('a[href]')) continue;
    try { b.click(); n++; } catch (e) {}
  }
  for (const el of document.querySelectorAll('[hidden]')) {
    if (el.closest('[aria-labelledby], .accordion, [role="region"]')) { el.hidden = false; n++; }
  }
  return n;
}"""


class RenderFailed(Exception):
    """The page could not be rendered; ``reason`` is the per-URL log's word for it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Rendered:
    html: str
    url: str
    blocked: list[Blocked] = field(default_factory=list)


# A page's refused requests logged at most this many times (a polling script repeats them).
MAX_BLOCKED_PER_PAGE = 50


@dataclass(eq=False)
class _PageState:
    url: str
    body: bytes
    headers: dict[str, str]
    main_frame: Any
    served: bool = False
    blocked: list[Blocked] = field(default_factory=list)

    def refuse(self, blocked: Blocked) -> None:
        if blocked not in self.blocked and len(self.blocked) < MAX_BLOCKED_PER_PAGE:
            self.blocked.append(blocked)


class BrowserPool:
    def __init__(self, config: CrawlConfig, netguard: NetGuard):
        self.config = config
        self.netguard = netguard
        self.slots = asyncio.Semaphore(config.render_concurrency)
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._pages_in_browser = 0
        self._active = 0
        self._starting = asyncio.Lock()
        self.started = 0  # browsers started by this pool (a restart counts)
        # page -> (its route handler, its state: where its refused requests go)
        self._pages: dict[Any, tuple[Any, _PageState]] = {}

    async def render(self, url: str, body: bytes, headers: dict[str, str]) -> Rendered:
        """Render ``url`` whose document is ``body``; raise ``RenderFailed`` with a reason."""
        async with self.slots:
            context = await self._context_for_page()
            self._active += 1
            try:
                return await asyncio.wait_for(
                    self._render(context, url, body, headers), self.config.render_timeout_s
                )
            except TimeoutError:
                raise RenderFailed("render_timeout") from None
            except RenderFailed:
                raise
            except Exception as exc:  # Playwright's errors: a crashed or closed browser
                if self._browser is None or not self._browser.is_connected():
                    raise RenderFailed("browser_crashed") from exc
                raise RenderFailed(f"render_error: {str(exc).splitlines()[0][:200]}") from exc
            finally:
                self._active -= 1

    async def _context_for_page(self) -> Any:
        async with self._starting:
            browser = self._browser
            worn = self._pages_in_browser >= self.config.render_pages_per_browser
            if browser is not None and (not browser.is_connected() or worn):
                if browser.is_connected():
                    while self._active:  # the pages still rendering in it finish first
                        await asyncio.sleep(0.05)
                await self._close_browser()
            if self._browser is None:
                await self._launch()
            self._pages_in_browser += 1
            return self._context

    async def _launch(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise RenderFailed("browser_unavailable: Playwright is not installed") from None
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.config.browser_path, args=LAUNCH_ARGS, headless=True
            )
        except Exception as exc:
            raise RenderFailed(f"browser_unavailable: {str(exc).splitlines()[0][:200]}") from exc
        self._context = await self._browser.new_context(
            user_agent=self.config.user_agent,
            service_workers="block",
            accept_downloads=False,
            java_script_enabled=True,
        )
        self._context.on("page", _close_popups)
        await self._context.route("**/*", self._route)
        await self._context.route_web_socket("**/*", _refuse_web_socket)
        self._pages_in_browser = 0
        self.started += 1

    async def _route(self, route: Any) -> None:
        """Every request of the context: the page's handler, or refused (a popup's, whose
        refusal goes to its opener's log)."""
        request = route.request
        try:
            page = request.frame.page
        except Exception:  # no frame: a worker's request
            page = None
        known = self._pages.get(page)
        if known is not None:
            await known[0](route)
            return
        opener = None
        if page is not None:
            try:
                opener = await page.opener()
            except Exception:
                opener = None
        owner = self._pages.get(opener)
        if owner is not None:
            owner[1].refuse(
                check_request(self.netguard, request.url) or Blocked(request.url, "popup")
            )
        await route.abort("blockedbyclient")

    async def _request(self, route: Any, state: _PageState, loaded: bool) -> None:
        """One request of a page: its own document from the crawler's answer, or checked by
        the guard and fetched here, or refused (and noted in ``state.blocked``)."""
        request = route.request
        navigation = request.is_navigation_request() and request.frame == state.main_frame
        if navigation and not state.served and request.url == state.url:
            state.served = True
            await route.fulfill(status=200, headers=state.headers, body=state.body)
            return
        if request.resource_type in SKIPPED_RESOURCES:
            await route.abort("blockedbyclient")
            return
        refusal = check_request(self.netguard, request.url)
        if refusal is None and navigation and loaded:
            refusal = Blocked(request.url, "navigation_after_load")
        # Redirects are followed here, hop by hop, so that each hop's target passes the guard
        # too (the browser would follow a redirect it is given without asking).
        target, answer = request.url, None
        for _ in range(self.config.max_redirects + 1):
            if refusal is not None:
                break
            answer = await route.fetch(
                url=target, max_redirects=0, timeout=self.config.request_timeout_s * 1000
            )
            location = answer.headers.get("location")
            if not (300 <= answer.status < 400 and location):
                break
            target = urljoin(target, location)
            refusal = check_request(self.netguard, target)
        else:
            refusal = Blocked(request.url, "too_many_redirects")
        if refusal is not None:
            state.refuse(refusal)
            await route.abort("blockedbyclient")
            return
        await route.fulfill(response=answer)

    async def _render(self, context: Any, url: str, body: bytes, headers: dict[str, str]) -> Any:
        page = await context.new_page()
        state = _PageState(url=url, body=body, headers=headers, main_frame=page.main_frame)
        loaded = asyncio.Event()
        page.on("dialog", _dismiss)

        async def refuse_socket(ws: Any) -> None:
            state.refuse(Blocked(ws.url, "websocket"))
            await _refuse_web_socket(ws)

        await page.route_web_socket("**/*", refuse_socket)

        async def route(route: Any) -> None:
            try:
                await self._request(route, state, loaded.is_set())
            except Exception as exc:  # the host is down, the page went away: the request fails
                logger.debug("browser request %s failed: %s", route.request.url, exc)
                try:
                    await route.abort("failed")
                except Exception:
                    logger.debug("request %s already handled", route.request.url)

        self._pages[page] = (route, state)
        try:
            try:
                await page.goto(url, wait_until="load")
            except Exception as exc:
                if "ERR_BLOCKED_BY_CLIENT" in str(exc) and state.blocked:
                    raise RenderFailed(f"render_blocked: {state.blocked[-1].reason}") from exc
                raise
            loaded.set()
            await self._settle(page)
            try:
                if await page.evaluate(EXPAND_SCRIPT):  # something opened: let it load
                    await self._settle(page)
            except Exception:  # a page that navigated away or closed during the click
                logger.info("expanding collapsed content of %s failed", url)
            html = await page.content()
            if len(html.encode("utf-8", "replace")) > self.config.max_response_bytes:
                raise RenderFailed("too_large")
            return Rendered(html=html, url=url, blocked=state.blocked)
        finally:
            self._pages.pop(page, None)
            try:
                await page.close()
            except Exception:
                logger.debug("page of %s already closed", url)

    async def _settle(self, page: Any) -> None:
        """Wait until the network is quiet (Playwright: 500 ms without requests) or half the
        page's time has passed; a page that keeps loading is taken as it is then."""
        try:
            await page.wait_for_load_state(
                "networkidle", timeout=self.config.render_timeout_s * 1000 / 2
            )
        except Exception:
            logger.info("network not quiet on %s; taking the page as it is", page.url)

    async def _close_browser(self) -> None:
        browser, self._browser, self._context = self._browser, None, None
        self._pages.clear()
        if browser is not None:
            try:
                await browser.close()
            except Exception:
                logger.info("closing the browser failed (it had crashed)")

    async def close(self) -> None:
        await self._close_browser()
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            try:
                await playwright.stop()
            except Exception:
                logger.debug("stopping Playwright failed")

    @property
    def browser_pid(self) -> int | None:
        """The browser process's id (tests kill it to see a crash handled)."""
        process = getattr(getattr(self._browser, "_impl_obj", None), "_process", None)
        return getattr(process, "pid", None)


async def _dismiss(dialog: Any) -> None:
    try:
        await dialog.dismiss()
    except Exception:
        logger.debug("dialog already gone")


async def _close_popups(page: Any) -> None:
    # window.open: the crawler reads one page at a time; the popup's navigation is refused
    # by the route of its opener's context anyway.
    opener = await page.opener()
    if opener is not None:
        await page.close()


async def _refuse_web_socket(ws: Any) -> None:
    await ws.close(code=1008, reason="refused by the crawler")
