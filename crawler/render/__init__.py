"""Rendering pages in a headless browser, for sources whose ``render`` is *auto* or *always*.

crawler.render.step decides per page and records the result, crawler.render.heuristic is the
*auto* decision, crawler.render.browser the browser pool, crawler.render.guard the
private-network guard of the browser's own requests.
"""

from __future__ import annotations

from typing import Any


def renders(state: Any) -> bool:
    """Whether the crawl of ``state`` (a crawler.state.CrawlState) may render pages."""
    return state.config.render != "never"
