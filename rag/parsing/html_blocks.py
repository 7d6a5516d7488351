"""Cleaned HTML to blocks (headings, paragraphs, list items, tables), in document order.

The rules are those of unstructured 0.27's HTML partitioner ("v1" parser), which Lotse called
until 2026-12 and whose output, reduced to what Lotse keeps of it (a block's kind, heading
level and text), this reproduces: block elements end a paragraph, inline ones join it, a text
block that starts with a bullet character is a list item, a one-character paragraph is dropped,
a table is one block of its cells' text, forms, figures, ``<details>`` and the like say nothing.

Why not unstructured itself: to tell narrative text from other text it runs an English spaCy
model on every paragraph, which it downloads from the internet the first time (a worker is
offline; the English tagger is noise on German pages anyway), and which could only be stopped
by patching one of its private functions. Lotse never used that distinction. Without it the
partitioner is a walk over the lxml tree: measured with tests/bench/bench_index.py, the
same blocks on the aspec site in a fraction of the time (docs/indexing.md).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import Any

from lxml import etree

from rag.models import Block

# -- element kinds, as unstructured 0.27's parser registers them -------------------------------
_CONTAINERS = frozenset(
    "address article aside blockquote body center div footer header hgroup main section "
    "dl ol ul p dt".split()
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LIST_ITEMS = frozenset({"li", "dd"})
# what a list item adopts as its own text when it is the item's only child (loose lists)
_PLAIN_BLOCKS = frozenset(
    "address article aside blockquote body center div footer header hgroup main section p dt".split()
)
_SILENT_BLOCKS = frozenset("details figure hr nav template form input summary img".split())
_SILENT_INLINE = frozenset(
    "button label audio canvas datalist dialog head iframe ix:header noembed noframes object "
    "select svg textarea title video xml".split()
)
_STRIPPED = ("del", "link", "meta", "noscript", "script", "style")
_TEX = frozenset({"application/x-tex", "tex", "latex", "application/x-latex"})

# a bullet glyph at the start; "-" and "–" only when a space follows (else a minus sign)
_BULLETS = "\x95•‣⁃ㅤ⁌⁍∙○●◘◦☙❥❧⦾⦿\uf0b7*·"
_ANY_BULLET = "[" + re.escape(_BULLETS) + "\\-–]"
_BULLET = re.compile(f"(?:[{re.escape(_BULLETS)}]|(?:(?<=\\n)|\\A)[-–](?=\\s|$))(?!{_ANY_BULLET})")

_parser = etree.HTMLParser(remove_comments=True, remove_pis=True)

Element = Any  # an lxml element


def html_blocks(markup: str) -> list[Block]:
    """The blocks of ``markup`` (a whole document: its <main>, else its <body>)."""
    try:
        root = etree.fromstring(markup, _parser)
    except ValueError:  # a str with an encoding declaration
        root = etree.fromstring(markup.encode("utf-8"), _parser)
    if root is None:
        return []
    etree.strip_elements(root, *_STRIPPED, with_tail=False)
    start = root.find(".//main")
    if start is None:
        start = root.find(".//body")
    return [block for block in _blocks_of(start if start is not None else root) if block]


def _is_inline(element: Element) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return True  # nothing but its tail counts
    if tag == "math":
        return (element.get("display") or "").strip().lower() != "block"
    return not (
        tag in _CONTAINERS
        or tag in _HEADINGS
        or tag in _LIST_ITEMS
        or tag in _SILENT_BLOCKS
        or tag in ("pre", "table")
    )


# -- block elements ---------------------------------------------------------------------------


def _blocks_of(element: Element) -> Iterator[Block | None]:
    tag = element.tag
    if tag in _SILENT_BLOCKS:
        return
    if tag == "table":
        yield _table(element)
        return
    if tag == "math":
        latex = _latex(element)
        yield Block("text", " ".join(latex.split())) if latex else None
        return
    if tag in _LIST_ITEMS and _adopts_its_child(element):
        child = element[0]
        yield from _paragraphs(element, child.text or "", deque(child), "list_item")
        return
    kind = "heading" if tag in _HEADINGS else "list_item" if tag in _LIST_ITEMS else None
    if tag == "pre":
        kind = "pre"
    queue = deque(element)
    yield from _paragraphs(element, element.text or "", queue, kind)
    while queue:
        child = queue.popleft()
        yield from _blocks_of(child)
        yield from _paragraphs(element, child.tail or "", queue, None)


def _adopts_its_child(item: Element) -> bool:
    if len(item) != 1 or (item.text or "").strip():
        return False
    child = item[0]
    return (
        child.tag in _PLAIN_BLOCKS
        and not (child.tail or "").strip()
        and all(_is_inline(node) for node in child.iterdescendants())
    )


def _paragraphs(
    owner: Element, text: str, queue: deque, kind: str | None
) -> Iterator[Block | None]:
    """The paragraph made of ``text`` and the inline elements at the front of ``queue``
    (taken off it); a block nested in one of them ends the paragraph and comes between."""
    pieces = [text]
    for piece in _inline_run(queue):
        if isinstance(piece, str):
            pieces.append(piece)
        elif piece is not None:  # a nested block that says nothing does not split it
            yield _paragraph(owner, pieces, kind)
            pieces = []
            yield piece
    yield _paragraph(owner, pieces, kind)


def _inline_run(queue: deque) -> Iterator[str | Block | None]:
    while queue and _is_inline(queue[0]):
        yield from _inline(queue.popleft())


def _inline(element: Element) -> Iterator[str | Block | None]:
    tag = element.tag
    if isinstance(tag, str) and tag not in _SILENT_INLINE:
        if tag == "br":
            yield "\n"
        elif tag == "math":
            yield _latex(element) or ""
        else:
            yield element.text or ""
            queue = deque(element)
            while queue:
                child = queue.popleft()
                if _is_inline(child):
                    yield from _inline(child)
                else:
                    yield from _blocks_of(child)
                    yield child.tail or ""
                    yield from _inline_run(queue)
    yield element.tail or ""


def _paragraph(owner: Element, pieces: list[str], kind: str | None) -> Block | None:
    joined = "".join(pieces)
    if owner.tag == "pre":  # <pre> keeps its spacing, but for a leading and trailing newline
        joined = joined[1 if joined.startswith("\n") else 0 :]
        text = joined[:-1] if joined.endswith("\n") else joined
    else:
        text = " ".join(joined.split())
    if not text:
        return None
    if kind is None:
        if _BULLET.match(text.strip()):
            kind, text = "list_item", _without_bullet(text)
        elif len(text) < 2:
            return None
        else:
            kind = "text"
    text = " ".join(text.split())
    if not text:
        return None
    if kind == "heading":
        return Block("heading", text, level=_HEADINGS.get(owner.tag, 1), anchor=_anchor(owner))
    return Block("text" if kind == "pre" else kind, text)


def _anchor(heading: Element) -> str:
    """A heading's fragment id: its own, else that of the element inside holding its text
    (MediaWiki's ``<span class="mw-headline" id=…>``, after an empty legacy-anchor span)."""
    if heading.get("id"):
        return heading.get("id").strip()
    marked = [e for e in heading.iterdescendants() if isinstance(e.tag, str) and e.get("id")]
    for element in marked:
        if "".join(element.itertext()).strip():
            return element.get("id").strip()
    return marked[0].get("id").strip() if marked else ""


def _without_bullet(text: str) -> str:
    if _BULLET.match(text) is None:
        return text
    return _BULLET.sub("", text, count=1).strip()


# -- tables and formulas ----------------------------------------------------------------------


def _cell_text(cell: Element) -> str:
    return " ".join(piece.strip() for piece in cell.itertext() if piece.strip())


def _table(table: Element) -> Block | None:
    """One block: the captions, then each row's cells (a table in a cell is that cell's text)."""
    captions: list[str] = []
    rows: list[str] = []
    for child in table:
        if child.tag == "caption":
            caption = _cell_text(child)
            if caption:
                captions.append(caption)
        elif child.tag in ("tr", "thead", "tbody", "tfoot"):
            for row in [child] if child.tag == "tr" else child.iterchildren("tr"):
                cells = (_cell_text(cell) for cell in row if cell.tag in ("th", "td"))
                rows.append(" ".join(text for text in cells if text))
    if not " ".join(rows).strip():
        return None  # a caption alone is no table
    text = " ".join(" ".join(captions + rows).split())
    return Block("table", text) if text else None


def _latex(math: Element) -> str | None:
    """A formula's TeX annotation or alt text; MathML markup alone says nothing readable."""
    if len(math) == 1 and not (math.text or "").strip() and not (math[0].tail or "").strip():
        semantics = math.find("./semantics")
        if semantics is not None:
            for child in semantics:
                encoding = (child.get("encoding") or "").strip().lower()
                if child.tag == "annotation" and encoding in _TEX and (child.text or "").strip():
                    return child.text.strip()
    alt = math.get("alttext")
    return alt if alt and alt.strip() else None
