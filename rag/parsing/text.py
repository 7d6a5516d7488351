"""Plain text and Markdown files: paragraphs (blank lines between them) become text blocks;
in Markdown, ``#`` headings (and underlined ones) become headings and ``-``/``*``/``1.``
lines list items, so chunks follow the sections as they do on a page. Markup that is not
structure (emphasis, links, code marks) is left as it is: it reads as text and is never
rendered, so it is never HTML either."""

from __future__ import annotations

import re

from rag.errors import DocumentParseError, EmptyDocumentError
from rag.models import Block, ParsedDocument
from rag.parsing.language import detect_language
from rag.parsing.titles import choose_title

TEXT_PARSER_VERSION = "text-1"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_SPACES = re.compile(r"\s+")


def decode_text(body: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as older editors save; a file with NUL
    bytes is no text file."""
    if b"\x00" in body:
        raise DocumentParseError("the file is not text (it holds NUL bytes)")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _paragraph_blocks(lines: list[str], markdown: bool) -> list[Block]:
    text = _SPACES.sub(" ", " ".join(lines)).strip()
    if not text:
        return []
    if not markdown:
        return [Block("text", text)]
    if len(lines) == 2 and _UNDERLINE.match(lines[1].strip()):
        level = 1 if lines[1].strip().startswith("=") else 2
        return [Block("heading", lines[0].strip(), level=level)]
    items = [_LIST_ITEM.match(line) for line in lines]
    if items[0] is not None:
        blocks: list[Block] = []
        for line, item in zip(lines, items, strict=True):
            if item is not None:
                blocks.append(Block("list_item", item.group(1).strip()))
            elif blocks:  # a continuation line of the item above
                last = blocks.pop()
                blocks.append(Block("list_item", f"{last.text} {line.strip()}"))
        return [block for block in blocks if block.text]
    return [Block("text", text)]


def text_blocks(text: str, markdown: bool) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []
    fenced = False
    for line in text.splitlines():
        if markdown and line.strip().startswith("```"):
            fenced = not fenced
            continue
        heading = _HEADING.match(line) if markdown and not fenced else None
        if heading or not line.strip():
            blocks.extend(_paragraph_blocks(paragraph, markdown))
            paragraph = []
            if heading and heading.group(2):
                blocks.append(Block("heading", heading.group(2), level=len(heading.group(1))))
            continue
        paragraph.append(line)
    blocks.extend(_paragraph_blocks(paragraph, markdown))
    return blocks


def parse_text(body: bytes, url: str, *, markdown: bool) -> ParsedDocument:
    blocks = text_blocks(decode_text(body), markdown)
    if not blocks:
        raise EmptyDocumentError("the file has no text")
    headings = [block.text for block in blocks if block.kind == "heading"]
    first = [blocks[0].text] if not markdown and len(blocks[0].text) <= 120 else []
    return ParsedDocument(
        url=url,
        content_type="html",  # text without pages: chunked and cited like a page
        title=choose_title([*headings, *first], url),
        language=detect_language(" ".join(block.text for block in blocks)[:4000]),
        blocks=tuple(blocks),
        parser_version=TEXT_PARSER_VERSION,
    )
