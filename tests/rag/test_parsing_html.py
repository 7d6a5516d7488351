from __future__ import annotations

import pytest

from rag.config import ParsingConfig
from rag.errors import EmptyDocumentError, PermanentError, UnsupportedContentTypeError
from rag.parsing import document_kind, parse, parse_html
from rag.parsing.html import decode_html

PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Anmeldung | Volkshochschule Musterstadt</title>
<script>window.tracking = true;</script><style>body{color:red}</style></head>
<body>
<div id="cookie-consent" class="cookie-banner">Wir verwenden Cookies. <button>Alle akzeptieren</button></div>
<header class="site-header"><a href="/">VHS Logo</a>
  <nav><ul><li><a href="/kurse">Kursprogramm</a></li><li><a href="/kontakt">Kontakt</a></li></ul></nav>
</header>
<div class="breadcrumb">Startseite &gt; Service &gt; Anmeldung</div>
<main>
  <h1>Anmeldung zu Kursen</h1>
  <p>Die Anmeldung erfolgt online über das Formular oder persönlich in der Geschäftsstelle.
     Sie ist verbindlich und muss bis zum Freitag vor Kursbeginn bei uns eingehen.</p>
  <h2>Gebühren und Ermäßigungen</h2>
  <p>Die Kursgebühr wird nach Kursbeginn per Lastschrift eingezogen.</p>
  <ul><li>Ermäßigung für Schülerinnen und Schüler</li><li>Ermäßigung für Inhaber des Sozialpasses</li></ul>
  <h3>Rücktritt</h3>
  <p>Ein Rücktritt ist bis eine Woche vor Kursbeginn kostenfrei möglich.</p>
  <footer class="share">Teilen auf Facebook</footer>
</main>
<aside><h2>Newsletter</h2><p>Jetzt abonnieren und nichts verpassen.</p></aside>
<footer class="site-footer"><a href="/impressum">Impressum</a> · <a href="/datenschutz">Datenschutz</a></footer>
</body></html>
"""

CHROME = [
    "Cookies", "akzeptieren", "VHS Logo", "Kursprogramm", "Kontakt", "Startseite",
    "Facebook", "Newsletter", "abonnieren", "Impressum", "Datenschutz", "tracking", "color:red",
]  # fmt: skip


def test_html_keeps_main_content_and_drops_page_chrome():
    document = parse_html(PAGE.encode(), "https://vhs.example/anmeldung")

    text = document.text
    for word in CHROME:
        assert word not in text
    assert "verbindlich und muss bis zum Freitag" in text
    assert document.title == "Anmeldung | Volkshochschule Musterstadt"
    assert document.language == "de"
    headings = [(b.level, b.text) for b in document.blocks if b.kind == "heading"]
    assert headings == [
        (1, "Anmeldung zu Kursen"),
        (2, "Gebühren und Ermäßigungen"),
        (3, "Rücktritt"),
    ]
    items = [b.text for b in document.blocks if b.kind == "list_item"]
    assert items == [
        "Ermäßigung für Schülerinnen und Schüler",
        "Ermäßigung für Inhaber des Sozialpasses",
    ]


def test_html_without_main_element_drops_header_nav_and_footer():
    body = (
        "<html><body><header>Kopfzeile</header><nav>Menü</nav>"
        "<div><h1>Öffnungszeiten</h1><p>Wir sind montags bis freitags von 8 bis 16 Uhr "
        "für Sie da.</p></div><footer>Fußzeile</footer></body></html>"
    ).encode()

    document = parse_html(body, "https://example.org/zeiten")

    assert "Kopfzeile" not in document.text and "Menü" not in document.text
    assert "Fußzeile" not in document.text
    assert "montags bis freitags" in document.text
    assert document.title == "Öffnungszeiten"  # no <title>: the first heading


def test_english_page_is_labelled_english():
    body = (
        b"<html><body><main><h1>Opening hours</h1><p>We are open from Monday to Friday and "
        b"you can reach us by phone during that time. It is the best way to get help.</p>"
        b"</main></body></html>"
    )
    assert parse_html(body, "https://example.org/en").language == "en"


@pytest.mark.parametrize(
    ("body", "hint", "expected"),
    [
        ("Gebühr".encode("latin-1"), "iso-8859-1", "Gebühr"),
        ("Gebühr".encode(), None, "Gebühr"),
        ('<meta charset="windows-1252">Gebühr'.encode("cp1252"), None, "Gebühr"),
        ("Gebühr".encode(), "no-such-charset", "Gebühr"),  # a bogus header is ignored
    ],
)
def test_decode_html(body, hint, expected):
    assert expected in decode_html(body, hint)


def test_page_with_only_navigation_is_a_permanent_error():
    body = b"<html><body><nav><a href='/'>Start</a></nav><footer>Impressum</footer></body></html>"
    with pytest.raises(EmptyDocumentError) as info:
        parse_html(body, "https://example.org/leer")
    assert "no text" in info.value.reason


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("text/html; charset=utf-8", b"<html>", "html"),
        ("application/xhtml+xml", b"<html>", "html"),
        ("application/pdf", b"%PDF-1.4", "pdf"),
        ("application/octet-stream", b"%PDF-1.7 ...", "pdf"),
        ("", b"<!doctype html><html><body>x", "html"),
    ],
)
def test_document_kind(content_type, body, kind):
    assert document_kind(content_type, body) == kind


def test_unsupported_content_type_is_permanent():
    with pytest.raises(UnsupportedContentTypeError) as info:
        parse(b"PK\x03\x04", "application/zip", "https://example.org/a.zip", ParsingConfig())
    assert isinstance(info.value, PermanentError)
    assert "application/zip" in info.value.reason


def test_parse_cache_returns_the_stored_result(tmp_path, monkeypatch):
    config = ParsingConfig(cache_dir=str(tmp_path))
    first = parse(PAGE.encode(), "text/html", "https://vhs.example/a", config)

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed again despite a cache entry")

    monkeypatch.setattr("rag.parsing.parse_html", must_not_parse)
    second = parse(PAGE.encode(), "text/html", "https://vhs.example/b", config)

    assert second.blocks == first.blocks and second.title == first.title
    assert second.url == "https://vhs.example/b"  # same bytes, other address
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_parse_cache_ignores_a_corrupt_entry(tmp_path):
    config = ParsingConfig(cache_dir=str(tmp_path))
    parse(PAGE.encode(), "text/html", "https://vhs.example/a", config)
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{not json")

    again = parse(PAGE.encode(), "text/html", "https://vhs.example/a", config)

    assert "Anmeldung zu Kursen" in again.text


def test_heading_permalink_anchors_are_dropped():
    body = (
        '<html><body><main><h2>Termine <a class="anchor" href="#termine">#</a></h2>'
        "<p>Der nächste Termin ist im Mai.</p></main></body></html>"
    ).encode()
    (heading,) = [b for b in parse_html(body, "u").blocks if b.kind == "heading"]
    assert heading.text == "Termine"


def test_redirect_stub_says_where_it_points():
    body = (
        b'<html lang="de"><head><title>x</title>'
        b'<meta http-equiv="refresh" content="0; url=https://example.org/neu"></head></html>'
    )
    with pytest.raises(EmptyDocumentError) as info:
        parse_html(body, "https://example.org/alt")
    assert "https://example.org/neu" in info.value.reason
