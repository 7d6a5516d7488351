"""A PDF's text layer as boxes (paragraphs) in reading order, with font sizes and pages.

PDFium (pypdfium2) does the reading: a C++ library, roughly fifty times faster than
pdfminer.six on a LaTeX book, that orders characters, inserts the spaces between words and
rejoins words hyphenated at a line end. This module turns its lines into paragraphs, joins
super- and subscripts to their base and repairs the glyphs TeX's symbol font leaves unmapped
(page numbers and running heads go later, for every engine: :mod:`rag.parsing.furniture`). pdfminer.six remains for the few files PDFium
refuses to open (it is more forgiving about some broken cross-reference tables).

PDFium is not thread-safe: one parse at a time per process, which is how the prefork Celery
worker runs tasks anyway.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from rag.errors import DocumentParseError, EncryptedDocumentError

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-zäöüß])")
_CID = re.compile(r"\(cid:\d+\)")
_SOFT_HYPHEN_LOWER = re.compile("[\ufffe\u00ad](?=[a-zäöüß])")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# pdfTeX output without a ToUnicode entry for some glyphs of Computer Modern's symbol font
# (OMS encoding) shows their character codes: the prime in f′ comes out as "0", the norm
# bars in ‖x‖ as "k". Only glyphs that cannot be meant literally in that font are mapped.
_TEX_SYMBOL_FONT = re.compile(r"(^|\+)CMSY\d+$")
_TEX_SYMBOL_GLYPHS = {"0": "′", "k": "‖", "h": "⟨", "i": "⟩"}


@dataclass
class TextBox:
    """A paragraph, heading or running head as it stands on one page."""

    text: str
    size: float
    page: int
    lines: int
    kind: str = "text"
    level: int = 0


def clean_text(raw: str) -> str:
    # PDFium marks a hyphen it removed at a line end as U+FFFE and joins the word: a compound
    # ("Reidemeister-Züge") keeps its hyphen, a split word ("Fundamental-gruppen") loses it
    text = _SOFT_HYPHEN_LOWER.sub("", raw).replace("\ufffe", "-")
    # NFKC turns ligatures ("ﬁ") into letters; "(cid:N)" is pdfminer's stand-in for a glyph
    # without a Unicode mapping; control characters are PDFium's for unmapped glyphs
    text = _CONTROL.sub(" ", _CID.sub(" ", unicodedata.normalize("NFKC", text)))
    return _SPACES.sub(" ", _HYPHEN_BREAK.sub(r"\1", text)).strip()


@dataclass
class _Line:
    text: str
    size: float  # the font size most of its characters have; 0 for a line of spaces
    baseline: float  # PDF user space, y grows upwards
    lead_size: float = 0.0  # font size and baseline of its first character
    lead_baseline: float = 0.0
    weight: int = 0  # characters with a font size, to weigh sizes when lines are merged


def _pdfium_text(textpage) -> tuple[str, list[float]]:
    """One page's characters in PDFium's reading order, with each one's font size rounded to
    half a point (0 for whitespace). PDFium inserts the spaces and line breaks it infers
    ("generated" characters); they keep their place in the string so indices line up."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    count = pdfium_c.FPDFText_CountChars(textpage)
    if count <= 0:
        return "", []
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP: ask for each code point instead
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    sizes = [0.0] * count
    get_size = pdfium_c.FPDFText_GetFontSize
    fixes: dict[int, str] = {}
    name, flags = ctypes.create_string_buffer(64), ctypes.c_int()
    for index, char in enumerate(text):
        if char.isspace():
            continue
        sizes[index] = round(get_size(textpage, index) * 2) / 2
        if char in _TEX_SYMBOL_GLYPHS:
            pdfium_c.FPDFText_GetFontInfo(textpage, index, name, len(name), ctypes.byref(flags))
            if _TEX_SYMBOL_FONT.search(name.value.decode("latin-1")):
                fixes[index] = _TEX_SYMBOL_GLYPHS[char]
    if fixes:
        chars = list(text)
        for index, char in fixes.items():
            chars[index] = char
        text = "".join(chars)
    return text, sizes


def _baseline(textpage, index: int) -> float:
    import ctypes

    import pypdfium2.raw as pdfium_c

    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, x, y)
    return y.value


def _raw_lines(textpage) -> list[_Line]:
    """PDFium's lines, which break before and after every super- or subscript."""
    text, sizes = _pdfium_text(textpage)
    lines: list[_Line] = []
    start = 0
    for end in [*(m.start() for m in re.finditer("\n", text)), len(text)]:
        segment = text[start:end].replace("\r", "")
        indices = [i for i in range(start, end) if sizes[i] > 0]
        start = end + 1
        if not segment.strip() or not indices:
            continue
        size = Counter(sizes[i] for i in indices).most_common(1)[0][0]
        # the baseline of a character in the line's own size: a superscript sits higher
        main = next(i for i in indices if sizes[i] == size)
        lead = indices[0]
        baseline = _baseline(textpage, main)
        lines.append(
            _Line(
                segment.strip(),
                size,
                baseline,
                lead_size=sizes[lead],
                lead_baseline=baseline if lead == main else _baseline(textpage, lead),
                weight=len(indices),
            )
        )
    return lines


def _same_visual_line(previous: _Line, line: _Line) -> bool:
    # TeX raises a superscript by up to half the base size but lowers a subscript by less
    # than a third; a smaller line further down (text under a big heading) is a new line
    step = line.baseline - previous.baseline
    bigger = max(line.size, previous.size, 1.0)
    return -0.3 * bigger < step < 0.5 * bigger


def _page_lines(textpage) -> list[_Line]:
    """Visual lines: PDFium lines whose baselines lie within a script's offset of each other
    are one line of print ("f" + "−1" + "(U) ist offen" is f⁻¹(U)); a script joins its base
    without a space, as the reference texts and a reader's eye have it."""
    merged: list[_Line] = []
    for line in _raw_lines(textpage):
        previous = merged[-1] if merged else None
        if previous is None or not _same_visual_line(previous, line):
            merged.append(line)
            continue
        # a script is set smaller and off the baseline; a smaller word on the same baseline
        # (a table cell beside a heading) is a word of its own
        smaller = min(line.lead_size, previous.size) < 0.85 * max(line.lead_size, previous.size)
        raised = abs(line.lead_baseline - previous.baseline) > 0.1 * max(previous.size, 1.0)
        separator = "" if smaller and raised else " "
        main = previous if previous.weight >= line.weight else line
        merged[-1] = _Line(
            previous.text + separator + line.text,
            main.size,
            main.baseline,
            lead_size=previous.lead_size,
            lead_baseline=previous.lead_baseline,
            weight=previous.weight + line.weight,
        )
    return merged


def _starts_new_box(previous: _Line, line: _Line) -> bool:
    """A change of font size, a gap wider than a line and a half, or a jump back up the page
    (the next column, a float) ends a paragraph."""
    if abs(line.size - previous.size) > 0.1 * max(line.size, previous.size, 1.0):
        return True
    step = previous.baseline - line.baseline
    return step < 0 or step > 1.45 * max(line.size, previous.size, 1.0)


def _join_lines(lines: list[_Line]) -> str:
    return "\n".join(line.text for line in lines)


def open_pdfium(body: bytes):
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        return pypdfium2.PdfDocument(body)
    except pypdfium2.PdfiumError as exc:
        # loading is the one call whose error says why: by code, not by its message
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocumentError(f"the PDF is encrypted ({exc})") from exc
        raise DocumentParseError(f"the PDF cannot be read: {exc}") from exc


def _has_image(page) -> bool:
    import pypdfium2.raw as pdfium_c

    # max_depth 2: scanners and office suites often wrap the picture in a form XObject
    for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        return True
    return False


def extract_with_pdfium(
    body: bytes, max_pages: int, image_check_below: int | None = None
) -> tuple[list[TextBox], dict[int, bool], int]:
    """Text boxes with their font size, which pages hold images, and the page count. Only
    pages with fewer than ``image_check_below`` characters (all pages when None) are looked
    at for images: walking a page's objects costs more than reading its text, and a page
    with enough text is never sent to OCR anyway."""
    document = open_pdfium(body)
    try:
        count = min(len(document), max_pages)
        pages: list[list[_Line]] = []
        has_image: dict[int, bool] = {}
        for index in range(count):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    lines = _page_lines(textpage)
                finally:
                    textpage.close()
                pages.append(lines)
                chars = sum(len(line.text) for line in lines)
                check = image_check_below is None or chars < image_check_below
                has_image[index + 1] = check and _has_image(page)
            finally:
                page.close()
    finally:
        document.close()

    boxes: list[TextBox] = []
    for number, lines in enumerate(pages, start=1):
        group: list[_Line] = []
        for line in [*lines, None]:
            if group and (line is None or _starts_new_box(group[-1], line)):
                text = clean_text(_join_lines(group))
                if text:
                    boxes.append(TextBox(text, group[0].size, number, lines=len(group)))
                group = []
            if line is not None:
                group.append(line)
    return boxes, has_image, count


def extract_with_pdfminer(
    body: bytes, max_pages: int
) -> tuple[list[TextBox], dict[int, bool], int]:
    """The same result through pdfminer.six, for files PDFium cannot open."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTTextBox

    boxes: list[TextBox] = []
    has_image: dict[int, bool] = {}
    count = 0
    pages = extract_pages(io.BytesIO(body), laparams=LAParams(), maxpages=max_pages)
    for page_number, page in enumerate(pages, start=1):
        count = page_number
        has_image[page_number] = False
        for item in page:
            if isinstance(item, (LTFigure, LTImage)):
                has_image[page_number] = True
            if not isinstance(item, LTTextBox):
                continue
            text = clean_text(item.get_text())
            if not text:
                continue
            sizes = Counter()
            for line in item:
                for char in line:
                    if isinstance(char, LTChar):
                        sizes[round(char.size * 2) / 2] += 1
            size = sizes.most_common(1)[0][0] if sizes else 0.0
            boxes.append(TextBox(text, size, page_number, lines=len(list(item))))
    return boxes, has_image, count


def extract_boxes(
    body: bytes, max_pages: int, image_check_below: int | None = None
) -> tuple[list[TextBox], dict[int, bool], int]:
    """Text boxes with their font size, which pages hold images, and the page count. Raises
    EncryptedDocumentError, or DocumentParseError when neither engine can read the file."""
    try:
        return extract_with_pdfium(body, max_pages, image_check_below)
    except EncryptedDocumentError:
        raise
    except DocumentParseError as pdfium_error:
        logger.info("PDFium cannot open the PDF, trying pdfminer: %s", pdfium_error)
        from pdfminer.pdfdocument import PDFEncryptionError  # PDFPasswordIncorrect's base

        try:
            return extract_with_pdfminer(body, max_pages)
        except PDFEncryptionError as exc:
            raise EncryptedDocumentError(f"the PDF is encrypted ({exc})") from exc
        except Exception as exc:  # pdfminer has no common base class for its parse errors
            raise DocumentParseError(
                f"the PDF text layer cannot be read: {pdfium_error.reason}; {exc}"
            ) from exc
