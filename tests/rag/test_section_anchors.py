"""A heading's anchor is parsed with it, and a wiki's chunks cite their section by it."""

from __future__ import annotations

import pytest

from rag.chunking.headings import chunk_document, section_url
from rag.parsing.html import parse_html

URL = "https://wiki.example.org/index.php/%C3%96ffnungszeiten"
SECTION = "Von April bis September ist die Geschäftsstelle werktags von 9 bis 18 Uhr offen. " * 5
# MediaWiki 1.39's parser output: html5 anchors, an empty legacy anchor before non-ASCII ones
WIKI_PAGE = f"""<html><body><main><h1>Öffnungszeiten</h1><div class="mw-parser-output">
<p>{SECTION}</p>
<h2><span class="mw-headline" id="Sommer">Sommer</span></h2><p>{SECTION}</p>
<h2><span id=".C3.9Cbergang"></span><span class="mw-headline" id="Übergang">Übergang</span></h2>
<p>{SECTION}</p>
<h3 id="Feiertage">Feiertage</h3><p>{SECTION}</p>
</div></main></body></html>""".encode()


def test_headings_keep_their_anchor():
    document = parse_html(WIKI_PAGE, URL)
    anchors = {b.text: b.anchor for b in document.blocks if b.kind == "heading"}
    assert anchors == {"Öffnungszeiten": "", "Sommer": "Sommer", "Übergang": "Übergang",
                       "Feiertage": "Feiertage"}  # fmt: skip


def test_wiki_chunks_link_to_their_section_and_other_pages_do_not():
    document = parse_html(WIKI_PAGE, URL)
    linked = [chunk.url for chunk in chunk_document(document, link_sections=True)]
    assert linked == [URL, f"{URL}#Sommer", f"{URL}#%C3%9Cbergang", f"{URL}#Feiertage"]
    assert {chunk.url for chunk in chunk_document(document)} == {URL}


@pytest.mark.parametrize(
    "url, anchor, expected",
    [
        ("https://w.example/A", "", "https://w.example/A"),
        ("https://w.example/A#old", "Neu", "https://w.example/A#Neu"),
        ("https://w.example/A", "Kosten_&_Gebühren", "https://w.example/A#Kosten_&_Geb%C3%BChren"),
        ("https://w.example/A", 'a b"c', "https://w.example/A#a%20b%22c"),
    ],
)
def test_section_url(url, anchor, expected):
    assert section_url(url, anchor) == expected
