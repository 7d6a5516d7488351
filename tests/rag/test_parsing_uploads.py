"""Uploaded files become the same blocks as pages: DOCX (written by python-docx) and ODT
(written by odfpy) with their headings, lists and tables, TXT and Markdown by their
paragraphs and headings. What they are is decided by their content (rag.parsing.sniff), and a
DOCX that unpacks past the limit fails before it fills the memory."""

from __future__ import annotations

import tracemalloc

import pytest

from rag.config import ParsingConfig
from rag.errors import DocumentParseError, EmptyDocumentError
from rag.parsing import parse
from rag.parsing.sniff import RejectedUpload, sniff_upload
from tests.uploads.files import docx, odt, zip_bomb_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
SECTIONS = (
    ("Anmeldung", ["Die Anmeldung erfolgt bis zum 15. März im Sekretariat.", "- Formular A",
                   "- Formular B"]),
    ("Kosten", ["Der Kurs kostet 80 Euro im Halbjahr."]),
)  # fmt: skip
MB = 2**20


def kinds(document) -> list[tuple[str, int, str]]:
    return [(block.kind, block.level, block.text) for block in document.blocks]


def test_a_word_document_keeps_headings_lists_and_tables():
    body = docx(*SECTIONS, table=[["Kurs", "Preis"], ["Yoga", "80 Euro"]])
    document = parse(body, DOCX, "https://lotse.example/files/1/kurs.docx", ParsingConfig())
    assert kinds(document) == [
        ("heading", 1, "Anmeldung"),
        ("text", 0, "Die Anmeldung erfolgt bis zum 15. März im Sekretariat."),
        ("list_item", 0, "Formular A"),
        ("list_item", 0, "Formular B"),
        ("heading", 1, "Kosten"),
        ("text", 0, "Der Kurs kostet 80 Euro im Halbjahr."),
        ("table", 0, "Kurs | Preis\nYoga | 80 Euro"),
    ]
    assert (document.title, document.language) == ("Anmeldung", "de")


def test_an_opendocument_text_keeps_headings_and_lists():
    document = parse(odt(*SECTIONS), ODT, "https://lotse.example/files/2/kurs.odt", ParsingConfig())
    assert kinds(document) == [
        ("heading", 1, "Anmeldung"),
        ("text", 0, "Die Anmeldung erfolgt bis zum 15. März im Sekretariat."),
        ("list_item", 0, "Formular A"),
        ("list_item", 0, "Formular B"),
        ("heading", 1, "Kosten"),
        ("text", 0, "Der Kurs kostet 80 Euro im Halbjahr."),
    ]


def test_markdown_headings_and_lists_and_plain_text_paragraphs():
    markdown = (
        "# Hausordnung\n\nDie Halle ist ab 22 Uhr geschlossen.\nBitte leise sein.\n\n"
        "## Schlüssel\n\n- beim Hausmeister\n- im Sekretariat\n  montags bis freitags\n\n"
        "```\n# kein Titel\n```\n"
    ).encode()
    document = parse(
        markdown, "text/markdown", "https://lotse.example/files/3/h.md", ParsingConfig()
    )
    assert kinds(document) == [
        ("heading", 1, "Hausordnung"),
        ("text", 0, "Die Halle ist ab 22 Uhr geschlossen. Bitte leise sein."),
        ("heading", 2, "Schlüssel"),
        ("list_item", 0, "beim Hausmeister"),
        ("list_item", 0, "im Sekretariat montags bis freitags"),
        ("text", 0, "# kein Titel"),
    ]
    text = "Hausordnung\n\nDie Halle ist ab 22 Uhr geschlossen.\n".encode("cp1252")
    plain = parse(text, "text/plain", "https://lotse.example/files/4/h.txt", ParsingConfig())
    assert kinds(plain) == [
        ("text", 0, "Hausordnung"),
        ("text", 0, "Die Halle ist ab 22 Uhr geschlossen."),
    ]
    assert plain.title == "Hausordnung"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"   \n\n  ", "text/plain"), (b"# \n\n", "text/markdown")],
)
def test_a_file_without_text_is_empty(body, content_type):
    with pytest.raises(EmptyDocumentError):
        parse(body, content_type, "https://lotse.example/files/5/x", ParsingConfig())


def test_a_word_document_without_text_is_empty():
    with pytest.raises(EmptyDocumentError, match="no text"):
        parse(docx(), DOCX, "https://lotse.example/files/6/leer.docx", ParsingConfig())


def test_a_zip_bomb_inside_a_docx_fails_without_unpacking_it():
    bomb = zip_bomb_docx(unpacked_mb=300)
    assert len(bomb) < 2 * MB
    tracemalloc.start()
    try:
        with pytest.raises(DocumentParseError, match="zip bomb"):
            parse(bomb, DOCX, "https://lotse.example/files/7/b.docx", ParsingConfig())
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB  # refused before it is unpacked, not after
    # and the upload check refuses it before it is stored
    with pytest.raises(RejectedUpload, match="zip bomb"):
        sniff_upload("bericht.docx", bomb, max_unpacked=200 * MB)


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("kurs.docx", "docx", "docx"),
        ("kurs.odt", "odt", "odt"),
        ("satzung.PDF", PDF, "pdf"),
        ("seite.html", b"<!doctype html><html><body><p>Hallo</p></body></html>", "html"),
        ("liesmich.txt", "Grüße aus dem Verein".encode(), "text"),
        ("liesmich.md", b"# Titel\n\nText", "markdown"),
    ],
)
def test_a_file_is_what_its_content_says(name, body, kind):
    body = {"docx": docx(*SECTIONS), "odt": odt(*SECTIONS)}.get(body, body)
    assert sniff_upload(name, body, max_unpacked=200 * MB) == kind


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("satzung.pdf", "docx", "does not match"),
        ("kurs.docx", PDF, "does not match"),
        ("kurs.docx", "odt", "does not match"),
        ("kurs.odt", "docx", "does not match"),
        ("notiz.txt", PDF, "does not match"),
        ("notiz.md", b"\x89PNG\r\n\x1a\n\x00\x00", "does not match"),
        ("seite.html", b"nur Text, kein Markup", "does not match"),
        ("programm.exe", b"MZ\x90\x00", "cannot be uploaded"),
        ("leer.pdf", b"", "is empty"),
    ],
)
def test_a_file_that_is_not_what_its_extension_says_is_refused(name, body, reason):
    body = {"docx": docx(*SECTIONS), "odt": odt(*SECTIONS)}.get(body, body)
    with pytest.raises(RejectedUpload, match=reason):
        sniff_upload(name, body, max_unpacked=200 * MB)
