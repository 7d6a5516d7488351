from __future__ import annotations

import os
import shutil

import pytest

from rag.config import ParsingConfig
from rag.errors import DocumentParseError, EmptyDocumentError, EncryptedDocumentError
from rag.parsing import parse, parse_pdf, pdf_layout
from tests.conftest import CI
from tests.rag.conftest import make_pdf, make_scanned_pdf

INTRO = (
    "Die Stadtbibliothek ist von Dienstag bis Samstag geöffnet. Der Bibliotheksausweis "
    "kostet für Erwachsene zwölf Euro im Jahr und ist für Kinder und Jugendliche kostenlos. "
) * 3
LOAN = (
    "Bücher können vier Wochen ausgeliehen werden. Eine Verlängerung ist zweimal möglich, "
    "wenn keine Vormerkung vorliegt. "
) * 3

PAGES = [
    [("h1", "Benutzungsordnung der Stadtbibliothek"), ("p", INTRO)],
    [("h2", "Ausleihe und Verlängerung"), ("p", LOAN)],
]


@pytest.mark.parametrize("outline", [False, True], ids=["font-sizes", "bookmarks"])
def test_pdf_text_headings_pages_and_language(outline):
    body = make_pdf(PAGES, title="Benutzungsordnung", outline=outline)

    document = parse_pdf(body, "https://example.org/ordnung.pdf")

    assert document.page_count == 2
    assert document.language == "de"
    assert document.title == "Benutzungsordnung"
    assert document.ocr_pages == ()
    headings = [(b.level, b.text, b.page) for b in document.blocks if b.kind == "heading"]
    assert headings == [
        (1, "Benutzungsordnung der Stadtbibliothek", 1),
        (2, "Ausleihe und Verlängerung", 2),
    ]
    loan = [b for b in document.blocks if "vier Wochen" in b.text]
    assert loan and all(b.page == 2 for b in loan)


def test_pdf_title_falls_back_to_the_first_heading():
    document = parse_pdf(make_pdf(PAGES), "https://example.org/ordnung.pdf")
    assert document.title == "Benutzungsordnung der Stadtbibliothek"


def test_password_protected_pdf_is_a_permanent_error():
    body = make_pdf(PAGES, user_password="geheim")
    with pytest.raises(EncryptedDocumentError) as info:
        parse_pdf(body, "https://example.org/geheim.pdf")
    assert "password" in info.value.reason


def test_an_encrypted_pdf_that_only_pdfminer_opens_is_a_permanent_error_too(monkeypatch):
    """PDFium's fallback: pdfminer's own encryption error, recognised by its type."""

    def pdfium_cannot(*args, **kwargs):
        raise DocumentParseError("the PDF cannot be read: as if damaged")

    monkeypatch.setattr(pdf_layout, "extract_with_pdfium", pdfium_cannot)
    body = make_pdf(PAGES, user_password="geheim")
    with pytest.raises(EncryptedDocumentError):
        pdf_layout.extract_boxes(body, max_pages=10)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "no %PDF header"),
        (b"<html>not a pdf</html>", "no %PDF header"),
        (b"%PDF-1.4\n" + b"\x00garbage" * 50, "PDF"),
        (make_pdf(PAGES)[:400], "PDF"),
    ],
    ids=["empty", "html", "garbage", "truncated"],
)
def test_broken_pdf_is_a_permanent_error_with_a_reason(body, reason):
    with pytest.raises(DocumentParseError) as info:
        parse_pdf(body, "https://example.org/kaputt.pdf")
    assert reason in info.value.reason


def test_pdf_without_text_is_empty():
    with pytest.raises(EmptyDocumentError):
        parse_pdf(make_pdf([[]]), "https://example.org/leer.pdf")


def _require_tesseract() -> None:
    if shutil.which("tesseract") and shutil.which("pdftoppm"):
        return
    if CI:
        pytest.fail("CI=true requires tesseract-ocr and poppler-utils")
    pytest.skip("tesseract or poppler-utils not installed")


def test_image_only_page_is_read_by_ocr():
    _require_tesseract()
    body = make_scanned_pdf(["Bürgerbüro Musterstadt", "Öffnungszeiten montags", "bis freitags"])

    document = parse_pdf(body, "https://example.org/scan.pdf", ParsingConfig(ocr_dpi=200))

    assert document.ocr_pages == (1,)
    assert "Musterstadt" in document.text and "freitags" in document.text
    assert all(block.page == 1 for block in document.blocks)


def test_image_only_page_with_ocr_off_is_empty_and_says_why():
    body = make_scanned_pdf(["Bürgerbüro Musterstadt"])
    with pytest.raises(EmptyDocumentError) as info:
        parse_pdf(body, "https://example.org/scan.pdf", ParsingConfig(ocr_enabled=False))
    assert "OCR is off" in info.value.reason


def test_pdf_parse_is_cached(tmp_path):
    config = ParsingConfig(cache_dir=str(tmp_path))
    body = make_pdf(PAGES)
    first = parse(body, "application/pdf", "https://example.org/a.pdf", config)
    assert parse(body, "application/pdf", "https://example.org/a.pdf", config) == first
    assert len(os.listdir(tmp_path)) == 1


def _drawn_pdf(pages: list[list[tuple[float, float, str, float]]]) -> bytes:
    """A PDF from (x, y, text, font size) runs per page, for layouts make_pdf cannot draw."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for runs in pages:
        for x, y, text, size in runs:
            pdf.setFont("Helvetica", size)
            pdf.drawString(x, y, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


TOPICS = ["Ausleihe", "Verlängerung", "Vormerkung", "Fernleihe", "Gebühren", "Ausweis"]


def _body(y: float, topic: str) -> list[tuple[float, float, str, float]]:
    # distinct text per page: text repeated on most pages would be dropped as a running head
    return [(60, y - 14 * i, f"Zur {topic} steht in Absatz {i} das Nötige.", 11) for i in range(4)]


def test_running_heads_and_page_numbers_are_dropped():
    # a book's page: "<printed number> <chapter>" on top, the number alone at the bottom;
    # the printed number runs two ahead of the physical page, as after a title leaf
    pages = [
        # a new chapter every two pages: no head is on most pages, only the numbering tells
        [(60, 800, f"{n + 2} KAPITEL {(n + 1) // 2}. {TOPICS[(n - 1) // 2 * 2].upper()}", 9)]
        + _body(760, topic)
        + [(290, 40, str(n + 2), 9)]
        for n, topic in enumerate(TOPICS, start=1)
    ]

    document = parse_pdf(_drawn_pdf(pages), "https://example.org/buch.pdf")

    assert "KAPITEL" not in document.text
    assert "Zur Fernleihe steht in Absatz 0 das Nötige." in document.text
    assert not any(block.text.isdigit() for block in document.blocks)


def test_superscripts_join_their_base_and_hyphenated_words_are_rejoined():
    runs = [
        (60, 700, "Die Fläche beträgt 12 m", 11),
        (60 + 118, 705, "2", 7),  # raised and smaller: an exponent
        (60 + 124, 700, " und die Verlänge-", 11),
        (60, 686, "rung ist zweimal möglich.", 11),
    ]

    text = parse_pdf(_drawn_pdf([runs]), "https://example.org/flaeche.pdf").text

    assert "m2 und" in text
    assert "Verlängerung ist zweimal möglich" in text


def test_pdf_that_pdfium_refuses_is_read_by_pdfminer(monkeypatch):
    from rag.parsing import pdf_layout

    def refuse(body):
        raise DocumentParseError("the PDF cannot be read: Data format error")

    monkeypatch.setattr(pdf_layout, "open_pdfium", refuse)

    document = parse_pdf(make_pdf(PAGES), "https://example.org/ordnung.pdf")

    assert "vier Wochen" in document.text
    assert document.page_count == 2


def test_pdfium_says_encrypted_by_its_error_code():
    with pytest.raises(EncryptedDocumentError):
        pdf_layout.open_pdfium(make_pdf(PAGES, user_password="geheim"))
    with pytest.raises(DocumentParseError) as broken:
        pdf_layout.open_pdfium(b"%PDF-1.4 nothing else")
    assert not isinstance(broken.value, EncryptedDocumentError)
