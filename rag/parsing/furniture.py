"""Page furniture: page numbers, running heads and footers, which a PDF prints on its pages
and a reader skips. One filter for the boxes of every engine (PDFium, pdfminer, OCR)."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.parsing.pdf_layout import TextBox

# a page number alone: arabic, or roman as front matter has it ("iii", "XII")
_PAGE_LABEL = re.compile(r"^(\d{1,4}|(?=[ivxlc])(xc|xl|l?x{0,3})(ix|iv|v?i{0,3}))$", re.I)
# a running head that carries the printed page number first or last ("7 1.2. METRISCHE RÄUME")
_EDGE_NUMBER = re.compile(r"^(\d{1,4})\s|\s(\d{1,4})$")
_DIGITS = re.compile(r"\d+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# longer than this, an edge box is a paragraph, not a head
_HEAD_MAX = 100


def _edge_number(text: str) -> int | None:
    match = _EDGE_NUMBER.search(text.strip())
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def _key(text: str) -> str:
    """The same line whatever its page number: digits as one sign, punctuation and case gone."""
    return _DIGITS.sub("#", _NOT_ALNUM.sub("", text).casefold())


def drop_page_furniture(boxes: list[TextBox], page_count: int) -> list[TextBox]:
    """Boxes without page numbers, heads that carry the printed page number (at the top or
    bottom of a page, their offset to the physical page the same through the document) and
    lines repeated on most pages."""
    by_page: dict[int, list[int]] = {}
    for index, box in enumerate(boxes):
        by_page.setdefault(box.page, []).append(index)
    edges = {page: [indexes[0]] + indexes[1:][-1:] for page, indexes in by_page.items() if indexes}
    offsets: Counter[int] = Counter()
    for page, indexes in edges.items():
        for index in indexes:
            printed = _edge_number(boxes[index].text)
            if printed is not None and len(boxes[index].text) <= _HEAD_MAX:
                offsets[printed - page] += 1
    offset, seen = offsets.most_common(1)[0] if offsets else (0, 0)
    # three pages agreeing is no coincidence; below that a number is more likely content
    trusted = seen >= 3
    dropped: set[int] = set()
    for page, indexes in edges.items():
        for index in indexes:
            text = boxes[index].text.strip()
            is_label = bool(_PAGE_LABEL.match(text))
            is_head = trusted and len(text) <= _HEAD_MAX and _edge_number(text) == page + offset
            if is_label or is_head:
                dropped.add(index)
    repeated: set[str] = set()
    if page_count >= 4:
        pages_by_key: dict[str, set[int]] = {}
        for box in boxes:
            pages_by_key.setdefault(_key(box.text), set()).add(box.page)
        repeated = {key for key, pages in pages_by_key.items() if len(pages) > page_count / 2}
    return [
        box
        for index, box in enumerate(boxes)
        if index not in dropped and not box.text.isdigit() and _key(box.text) not in repeated
    ]
