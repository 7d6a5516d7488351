"""rag.parsing.titles: placeholders are recognised by their form; real titles pass."""

from __future__ import annotations

import pytest

from rag.parsing import parse
from rag.parsing.titles import choose_title, is_placeholder, name_from_url
from tests.rag.conftest import make_pdf

URL = "https://verein.example/files/v2_4_Aro_und_Acefeindlichkeit.pdf"


@pytest.mark.parametrize(
    "title",
    [
        "Dr", "Layout 1", "Folie 1", "Slide 12", "PowerPoint-Präsentation",
        "PowerPoint Presentation", "Microsoft Word - Einladung.docx", "Adobe InDesign - flyer",
        "Untitled", "Unbenannt-3", "Titel", "Title", "Dokument1", "Document 2", "Seite 3",
        "Einladung.pdf", "C:\\Users\\anna\\Einladung", "flyer_final_v2", "Entwurf", "Vorlage",
        "", "   ", "12345", "--", "hier", "Download (PDF, 2 MB)", "Mehr", "read more",
        "v2_4_Aro_und_Acefeindlichkeit.pdf", "Folie", "x" * 200,
    ],
)  # fmt: skip
def test_placeholders(title):
    assert is_placeholder(title, URL)


@pytest.mark.parametrize(
    "title",
    [
        "Aro- und Acefeindlichkeiten", "Satzung", "FAQ", "Öffnungszeiten", "Startseite",
        "Mitgliedsbeiträge 2024", "Informationen zum Inhalt", "Dr. Anna Schmidt: Vortrag",
        "ACE Week 2023 – Programm", "Flyer zur Mitgliederversammlung", "Seite für Eltern",
    ],
)  # fmt: skip
def test_real_titles(title):
    assert not is_placeholder(title, URL)


def test_the_url_itself_is_no_title_but_a_slug_may_be_one():
    assert is_placeholder("v2_4_Aro_und_Acefeindlichkeit", URL)
    assert is_placeholder(URL, URL)
    assert is_placeholder("Einladung", "https://verein.example/files/Einladung.docx")
    assert not is_placeholder("Membership", "https://verein.example/en/membership/")


def test_choose_title_falls_back_to_a_readable_name_from_the_url():
    assert choose_title(["Layout 1", "", "Aro- und Acefeindlichkeiten"], URL) == (
        "Aro- und Acefeindlichkeiten"
    )
    assert choose_title(["Folie 1"], URL) == "Aro und Acefeindlichkeit"
    assert name_from_url("https://verein.example/") == "verein.example"


def pdf(title: str, pages) -> bytes:
    return make_pdf(pages, title=title)


def test_pdf_metadata_placeholder_gives_way_to_the_cover_title():
    body = pdf(
        "Layout 1",
        [[("h1", "Satzung des Turnvereins"), ("p", "Paragraph 1: Name und Sitz des Vereins.")]],
    )
    document = parse(body, "application/pdf", URL, _config())
    assert document.title == "Satzung des Turnvereins"


def test_pdf_without_any_title_takes_the_link_text_then_the_file_name():
    body = pdf("Dr", [[("p", "Nur Fließtext ohne Überschrift auf dieser Seite.")]])
    hinted = parse(body, "application/pdf", URL, _config(), title_hint="Broschüre Aro und Ace")
    assert hinted.title == "Broschüre Aro und Ace"
    plain = parse(body, "application/pdf", URL, _config(), title_hint="hier")
    assert plain.title == "Aro und Acefeindlichkeit"


def test_html_placeholder_title_gives_way_to_the_h1():
    body = (
        b"<html><head><title>Untitled</title></head><body><main><h1>Kontakt</h1>"
        b"<p>Sie erreichen uns per E-Mail.</p></main></body></html>"
    )
    assert parse(body, "text/html", "https://verein.example/k/", _config()).title == "Kontakt"


def _config():
    from rag.config import ParsingConfig

    return ParsingConfig(cache_dir="")
