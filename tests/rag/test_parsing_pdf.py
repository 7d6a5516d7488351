from __future__ import annotations

import os
import shutil

import pytest

from rag.config import ParsingConfig
from rag.errors import DocumentParseError, EmptyDocumentError, EncryptedDocumentError
from rag.parsing import parse, parse_pdf
from tests.rag.conftest import CI, make_pdf, make_scanned_pdf

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
