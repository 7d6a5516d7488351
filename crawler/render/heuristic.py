"""Whether a fetched page looks built by JavaScript: the *auto* render mode's decision.

Measured on the raw HTML, before any browser starts, with lxml (which Scrapy brings):

- ``framework_root``: an application's empty mount point (``<div id="root"></div>``, ``app``,
  ``__next``, ``__nuxt``, ``___gatsby``, ``svelte``, ``ng-app`` …) with little text around it;
- ``noscript_hint``: a ``<noscript>`` asking for JavaScript, and little text besides it;
- ``little_text``: hardly any visible text (under 200 characters) against much script.

A server-rendered page of an application (Next.js with ``__NEXT_DATA__`` and its text in the
HTML) has enough visible text and is not rendered. ``tests/crawler/test_render_heuristic.py``
holds the measurement on the aspec site: no page there is rendered.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

# Visible text below this many characters counts as "little" (a framework root, a noscript
# hint); below TINY_TEXT even a static page's navigation alone is more (the shortest aspec
# page, its search page, has 231 characters: header, menu, footer).
LITTLE_TEXT = 400
TINY_TEXT = 200
# ... and with a framework root, below this (an app shell may carry a header and a footer).
SHELL_TEXT = 1500
# Script (inline bytes, plus this much per external script) at least this many times the text.
SCRIPT_RATIO = 3
EXTERNAL_SCRIPT_WEIGHT = 1000
FRAMEWORK_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "main-app"})
FRAMEWORK_ATTRIBUTES = ("ng-app", "data-reactroot", "data-server-rendered", "ng-version")
_JS_HINT = re.compile(r"javascript|\bjs\b", re.IGNORECASE)
_INVISIBLE = ("script", "style", "noscript", "template", "head")


def visible_text(root) -> str:
    """The text a reader sees, whitespace collapsed; ``root`` loses its invisible parts."""
    etree.strip_elements(root, etree.Comment, *_INVISIBLE, with_tail=False)
    return " ".join(" ".join(root.itertext()).split())


def text_of(body: bytes | str) -> str:
    """The visible text of an HTML document ("" when it does not parse)."""
    try:
        root = lxml_html.document_fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    return visible_text(root)


def render_reason(body: bytes) -> str:
    """Why the page should be rendered ("" when it should not): one of the names above."""
    try:
        root = lxml_html.document_fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    hint = any(_JS_HINT.search(n.text_content() or "") for n in root.iter("noscript"))
    script = 0
    for element in root.iter("script"):
        kind = (element.get("type") or "").lower()
        if kind and "javascript" not in kind and kind != "module":
            continue  # JSON-LD and other data blocks are no program
        script += EXTERNAL_SCRIPT_WEIGHT if element.get("src") else len(element.text or "")
    framework = _empty_framework_root(root)
    text = len(visible_text(root))
    if text >= SHELL_TEXT:
        return ""
    if framework:
        return "framework_root"
    if text >= LITTLE_TEXT:
        return ""
    if hint:
        return "noscript_hint"
    if text < TINY_TEXT and script and script >= SCRIPT_RATIO * max(text, 1):
        return "little_text"
    return ""


def _empty_framework_root(root) -> bool:
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _INVISIBLE:
            continue
        if element.xpath("ancestor::noscript or ancestor::template"):
            continue
        named = (element.get("id") or "").lower() in FRAMEWORK_IDS
        if named or any(element.get(a) is not None for a in FRAMEWORK_ATTRIBUTES):
            if len(" ".join(element.text_content().split())) < LITTLE_TEXT:
                return True
    return False
