"""PDFs: the text layer through PDFium (pypdfium2), OCR (tesseract) for image-only pages;
pypdf reads the structure (encryption, metadata title, bookmarks).

Why not ``unstructured.partition.pdf``: in every unstructured release checked (0.16 to 0.27)
that module imports ``unstructured_inference`` and OpenCV at the top, even for
``strategy="fast"``, and unstructured-inference requires torch. Its "fast" strategy is
pdfminer.six, which read the text layer here until pdf-2: pure Python, about 9 pages/s on
the GeoTopo book; PDFium is many times faster and closer to the book's reference text
(see rag/parsing/pdf_layout.py and tests/bench/bench_index.py).
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass

from rag.config import ParsingConfig
from rag.errors import DocumentParseError, EmptyDocumentError, EncryptedDocumentError
from rag.models import Block, ParsedDocument
from rag.parsing.furniture import drop_page_furniture
from rag.parsing.language import detect_language
from rag.parsing.pdf_layout import TextBox, clean_text, extract_boxes, open_pdfium
from rag.parsing.titles import choose_title

logger = logging.getLogger(__name__)

# pdf-4: the running-head rule for heads carrying the page number covers pdfminer and OCR pages
PDF_PARSER_VERSION = "pdf-4"

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass
class _OutlineEntry:
    title: str
    level: int
    page: int  # 1-based


def _norm(text: str) -> str:
    return _NOT_ALNUM.sub("", text).casefold()


def _open_reader(body: bytes):
    """A pypdf reader (decrypted when only an empty user password is set), or None when pypdf
    cannot read the structure - PDFium is more lenient and gets the next try."""
    from pypdf import PdfReader

    if b"%PDF" not in body[:1024]:
        raise DocumentParseError("not a PDF: the file has no %PDF header")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on damaged files
        logger.info("pypdf cannot read the PDF, trying PDFium alone: %s", exc)
        return None
    if encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception as exc:  # unsupported crypto handlers raise assorted types
            raise EncryptedDocumentError(f"the PDF is encrypted ({exc})") from exc
        if not decrypted:
            raise EncryptedDocumentError("the PDF is password-protected")
    try:
        len(reader.pages)  # forces the page tree to load, where most damaged files fail
    except Exception as exc:
        logger.info("pypdf cannot read the page tree, trying PDFium alone: %s", exc)
        return None
    return reader


def _metadata_title(reader) -> str:
    try:
        return _SPACES.sub(" ", str((reader.metadata or {}).get("/Title") or "")).strip()
    except Exception:  # unreadable metadata must not fail a readable document
        return ""


def _cover_title(boxes: list[TextBox]) -> str:
    """The text set largest on the first page, when it stands out from the body text: what
    a reader sees as the title on the cover."""
    first_page = [box for box in boxes if box.page == min((b.page for b in boxes), default=1)]
    sized = [box for box in first_page if box.size > 0]
    if not sized:
        return ""
    weights: Counter[float] = Counter()
    for box in sized:
        weights[box.size] += len(box.text)
    body_size = weights.most_common(1)[0][0]
    largest = max(sized, key=lambda box: box.size)
    if largest.size < body_size * 1.3 or largest.lines > 3 or len(largest.text) > 150:
        return ""
    return largest.text


def _outline(reader) -> list[_OutlineEntry]:
    entries: list[_OutlineEntry] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
                title = _SPACES.sub(" ", str(item.title)).strip()
            except Exception:  # a dangling bookmark is common and harmless
                continue
            if title and page > 0:
                entries.append(_OutlineEntry(title, min(level, 6), page))

    try:
        walk(reader.outline, 1)
    except Exception as exc:
        logger.info("ignoring unreadable PDF outline: %s", exc)
        return []
    return entries


def _mark_headings_from_outline(
    boxes: list[TextBox], outline: list[_OutlineEntry]
) -> list[TextBox]:
    """Bookmarks are the author's own heading structure; find each one's box on its page."""
    result = list(boxes)
    for entry in outline:
        wanted = _norm(entry.title)
        if not wanted:
            continue
        matches = [
            i
            for i, box in enumerate(result)
            if box.page == entry.page and box.kind == "text" and _norm(box.text).startswith(wanted)
        ]
        # the real heading is set larger than a running head repeating it
        index = max(matches, key=lambda i: result[i].size, default=None)
        heading = TextBox(entry.title, 0.0, entry.page, 1, kind="heading", level=entry.level)
        if index is None:
            # not found as text (drawn as an image, or reworded): put it at the page start
            index = next((i for i, box in enumerate(result) if box.page >= entry.page), len(result))
            result.insert(index, heading)
            continue
        box = result[index]
        rest = clean_text(box.text[len(entry.title) :]) if _norm(box.text) != wanted else ""
        result[index : index + 1] = [heading] + (
            [TextBox(rest, box.size, box.page, 1)] if rest else []
        )
    return result


def _mark_headings_from_fonts(boxes: list[TextBox]) -> list[TextBox]:
    """Without bookmarks: short boxes set clearly larger than the body text are headings."""
    weights = Counter()
    for box in boxes:
        if box.size > 0:
            weights[box.size] += len(box.text)
    if not weights:
        return boxes
    body_size = weights.most_common(1)[0][0]
    candidates = [
        box
        for box in boxes
        # size 0 is OCR text, which has no font to go by
        if box.size > 0 and box.size >= body_size * 1.15 and len(box.text) <= 150 and box.lines <= 3
    ]
    ranks = {
        size: rank for rank, size in enumerate(sorted({b.size for b in candidates}, reverse=True))
    }
    for box in candidates:
        box.kind = "heading"
        box.level = min(ranks[box.size] + 1, 3)
    return boxes


def _ocr_page(body: bytes, page: int, config: ParsingConfig) -> str:
    from unstructured_pytesseract import image_to_string

    # PDFium renders in-process; pdftoppm would re-read the whole file for every page
    document = open_pdfium(body)
    try:
        pdf_page = document[page - 1]
        try:
            image = pdf_page.render(scale=config.ocr_dpi / 72, grayscale=True).to_pil()
        finally:
            pdf_page.close()
    finally:
        document.close()
    return image_to_string(image, lang=config.ocr_languages)


def _ocr_blocks(
    body: bytes, pages: list[int], config: ParsingConfig
) -> tuple[list[TextBox], list[str]]:
    boxes: list[TextBox] = []
    warnings: list[str] = []
    for count, page in enumerate(pages):
        if count >= config.ocr_max_pages:
            warnings.append(f"OCR stopped after {config.ocr_max_pages} scanned pages")
            break
        try:
            text = _ocr_page(body, page, config)
        except Exception as exc:  # tesseract/poppler missing or crashing: keep the text pages
            logger.warning("OCR failed on page %s: %s", page, exc)
            warnings.append(f"OCR failed on page {page}: {exc}")
            continue
        for paragraph in re.split(r"\n\s*\n", text):
            paragraph = clean_text(paragraph)
            if len(_norm(paragraph)) >= 2:
                boxes.append(TextBox(paragraph, 0.0, page, paragraph.count("\n") + 1))
    return boxes, warnings


def parse_pdf(body: bytes, url: str, config: ParsingConfig | None = None) -> ParsedDocument:
    """Text, headings and page numbers of a PDF. Raises a DocumentParseError subclass for
    broken, encrypted, too large or empty files."""
    config = config or ParsingConfig()
    reader = _open_reader(body)
    page_count = len(reader.pages) if reader is not None else 0
    if page_count > config.max_pdf_pages:
        raise DocumentParseError(f"the PDF has {page_count} pages (limit {config.max_pdf_pages})")
    try:
        boxes, has_image, page_count = extract_boxes(
            body, config.max_pdf_pages, image_check_below=config.ocr_min_chars_per_page
        )
    except DocumentParseError:
        raise
    except Exception as exc:  # PDFium errors on a damaged page, ctypes errors: all permanent
        raise DocumentParseError(f"the PDF text layer cannot be read: {exc}") from exc

    chars_per_page = Counter()
    for box in boxes:
        chars_per_page[box.page] += len(box.text)
    scanned = [
        page
        for page, image in sorted(has_image.items())
        if image and chars_per_page[page] < config.ocr_min_chars_per_page
    ]
    warnings: list[str] = []
    ocr_pages: list[int] = []
    if scanned and config.ocr_enabled:
        ocr_boxes, warnings = _ocr_blocks(body, scanned, config)
        ocr_pages = sorted({box.page for box in ocr_boxes})
        # a scanned page's few stray characters (a stamp, a page number) give way to OCR text
        boxes = [box for box in boxes if box.page not in ocr_pages] + ocr_boxes
        boxes.sort(key=lambda box: box.page)  # stable: keeps reading order within a page
    elif scanned:
        warnings.append(f"{len(scanned)} scanned page(s) skipped: OCR is off")

    cover = _cover_title(boxes)
    boxes = drop_page_furniture(boxes, page_count)
    outline = _outline(reader) if reader is not None else []
    boxes = (
        _mark_headings_from_outline(boxes, outline) if outline else _mark_headings_from_fonts(boxes)
    )
    blocks = tuple(Block(box.kind, box.text, box.level, box.page) for box in boxes)  # type: ignore[arg-type]
    if not any(block.kind != "heading" for block in blocks):
        reason = "the PDF has no extractable text"
        if scanned and config.ocr_enabled and not warnings:
            reason += f" (OCR found none on {len(scanned)} image-only page(s))"
        if warnings:
            reason += f" ({'; '.join(warnings)})"
        raise EmptyDocumentError(reason)

    text = "\n".join(block.text for block in blocks)
    headings = [b.text for b in blocks if b.kind == "heading"]
    level_one = [b.text for b in blocks if b.kind == "heading" and b.level == 1]
    title = choose_title(
        [_metadata_title(reader) if reader is not None else "", cover, *level_one, *headings], url
    )
    from importlib.metadata import version

    return ParsedDocument(
        url=url,
        content_type="pdf",
        title=title,
        language=detect_language(text),
        blocks=blocks,
        parser_version=f"{PDF_PARSER_VERSION}/pypdfium2-{version('pypdfium2')}",
        page_count=page_count,
        ocr_pages=tuple(ocr_pages),
        warnings=tuple(warnings),
    )
