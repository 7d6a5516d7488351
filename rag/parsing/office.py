"""Word (DOCX) and OpenDocument text (ODT) files: the document's XML, read from the zip with a
bound on what it unpacks to, becomes the same blocks as a page (headings, paragraphs, list
items, tables).

A DOCX or ODT is a zip archive. A small archive can unpack to gigabytes (a zip bomb), so no
part is read past ``max_unpacked`` bytes: a part that claims more, or that turns out to hold
more while it is read, fails the document with a readable reason. Only the parts that hold
text are opened (DOCX ``word/document.xml`` and ``word/styles.xml``, ODT ``content.xml``).
"""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

from rag.errors import DocumentParseError, EmptyDocumentError
from rag.models import Block, ParsedDocument
from rag.parsing.language import detect_language
from rag.parsing.titles import choose_title

OFFICE_PARSER_VERSION = "office-1"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
# Word's own style names ("heading 1") whatever the language of the UI; localized ids
# ("berschrift1") come with that name in styles.xml
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título)\s*(\d)$", re.I)
_LIST_STYLE = re.compile(r"^list", re.I)
_SPACES = re.compile(r"\s+")
# the parser resolves no entities and loads nothing from the network
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_part(archive: zipfile.ZipFile, name: str, max_unpacked: int) -> bytes | None:
    """One part of the archive (None when it has none), never more than ``max_unpacked``
    bytes: a zip bomb fails here, before it fills the memory."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    too_big = DocumentParseError(
        f"the file unpacks to more than {max_unpacked // 2**20} MB ({name}): "
        "it is refused as a possible zip bomb"
    )
    if info.file_size > max_unpacked:
        raise too_big
    try:
        with archive.open(info) as part:
            data = part.read(max_unpacked + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise DocumentParseError(f"the file is damaged: {exc}") from exc
    if len(data) > max_unpacked:
        raise too_big
    return data


def open_archive(body: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentParseError(f"the file is not a readable zip archive: {exc}") from exc


def _xml(data: bytes, name: str):
    try:
        return etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as exc:
        raise DocumentParseError(f"{name} is not readable XML: {exc}") from exc


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _docx_styles(archive: zipfile.ZipFile, max_unpacked: int) -> dict[str, str]:
    data = read_part(archive, "word/styles.xml", max_unpacked)
    if data is None:
        return {}
    root = _xml(data, "word/styles.xml")
    names = {}
    for style in root.iter(f"{_W}style"):
        name = style.find(f"{_W}name")
        if name is not None:
            names[style.get(f"{_W}styleId", "")] = name.get(f"{_W}val", "")
    return names


def _docx_paragraph(paragraph, styles: dict[str, str]) -> Block | None:
    text = _flat("".join(paragraph.itertext()))
    if not text:
        return None
    props = paragraph.find(f"{_W}pPr")
    style = level = None
    if props is not None:
        style_id = props.find(f"{_W}pStyle")
        style = styles.get(style_id.get(f"{_W}val", ""), "") if style_id is not None else ""
        outline = props.find(f"{_W}outlineLvl")
        if outline is not None and outline.get(f"{_W}val", "").isdigit():
            level = int(outline.get(f"{_W}val")) + 1
        if props.find(f"{_W}numPr") is not None or _LIST_STYLE.match(style or ""):
            return Block("list_item", text)
    heading = _HEADING_STYLE.match(style or "")
    if heading or (style or "").casefold() == "title":
        level = int(heading.group(1)) if heading else 1
    if level:
        return Block("heading", text, level=min(level, 6))
    return Block("text", text)


def _table_text(rows) -> str:
    return "\n".join(" | ".join(cells) for cells in rows if any(cells))


def parse_docx(body: bytes, url: str, max_unpacked: int) -> ParsedDocument:
    with open_archive(body) as archive:
        data = read_part(archive, "word/document.xml", max_unpacked)
        if data is None:
            raise DocumentParseError("not a Word document: the file has no word/document.xml")
        styles = _docx_styles(archive, max_unpacked)
    root = _xml(data, "word/document.xml")
    body_element = root.find(f"{_W}body")
    blocks: list[Block] = []
    for element in body_element if body_element is not None else ():
        if element.tag == f"{_W}p":
            block = _docx_paragraph(element, styles)
            if block is not None:
                blocks.append(block)
        elif element.tag == f"{_W}tbl":
            rows = [
                [_flat("".join(cell.itertext())) for cell in row.iter(f"{_W}tc")]
                for row in element.iter(f"{_W}tr")
            ]
            if text := _table_text(rows):
                blocks.append(Block("table", text))
    return _document(blocks, url, "the Word document has no text")


def parse_odt(body: bytes, url: str, max_unpacked: int) -> ParsedDocument:
    with open_archive(body) as archive:
        data = read_part(archive, "content.xml", max_unpacked)
    if data is None:
        raise DocumentParseError("not an OpenDocument text: the file has no content.xml")
    root = _xml(data, "content.xml")
    text_root = root.find(f"{_OFFICE}body/{_OFFICE}text")
    blocks: list[Block] = []

    def walk(element) -> None:
        for child in element:
            if child.tag == f"{_TEXT}h":
                level = child.get(f"{_TEXT}outline-level", "1")
                text = _flat("".join(child.itertext()))
                if text:
                    blocks.append(
                        Block("heading", text, level=min(int(level) if level.isdigit() else 1, 6))
                    )
            elif child.tag == f"{_TEXT}p":
                if text := _flat("".join(child.itertext())):
                    blocks.append(Block("text", text))
            elif child.tag == f"{_TEXT}list-item":
                for paragraph in child.iter(f"{_TEXT}p"):
                    if text := _flat("".join(paragraph.itertext())):
                        blocks.append(Block("list_item", text))
            elif child.tag == f"{_TABLE}table":
                rows = [
                    [_flat("".join(cell.itertext())) for cell in row.iter(f"{_TABLE}table-cell")]
                    for row in child.iter(f"{_TABLE}table-row")
                ]
                if text := _table_text(rows):
                    blocks.append(Block("table", text))
            else:  # sections, lists and frames hold the paragraphs
                walk(child)

    if text_root is not None:
        walk(text_root)
    return _document(blocks, url, "the OpenDocument text has no text")


def _document(blocks: list[Block], url: str, empty: str) -> ParsedDocument:
    if not blocks:
        raise EmptyDocumentError(empty)
    sample = " ".join(block.text for block in blocks)[:4000]
    headings = [block.text for block in blocks if block.kind == "heading"]
    return ParsedDocument(
        url=url,
        content_type="html",  # text without pages: chunked and cited like a page
        title=choose_title(headings, url),
        language=detect_language(sample),
        blocks=tuple(blocks),
        parser_version=OFFICE_PARSER_VERSION,
    )
