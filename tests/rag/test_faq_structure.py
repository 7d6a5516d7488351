"""FAQ markup becomes question headings (rag/parsing/faq.py), and each question stays one
chunk with its answer (rag/chunking/headings.py)."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document
from rag.parsing.faq import is_question
from rag.parsing.html import parse_html

ANSWER = "Die Hundesteuer beträgt jährlich 72 Euro für den ersten Hund."
OTHER = "Melden Sie Ihren Hund innerhalb von vier Wochen bei der Steuerabteilung an."


def page(body: str) -> bytes:
    return (
        '<!doctype html><html lang="de"><head><title>FAQ</title></head><body><main>'
        "<h1>Häufige Fragen</h1><p>Antworten der Steuerabteilung.</p>"
        f"{body}</main></body></html>"
    ).encode()


MARKUPS = {
    "headings": f"<h2>Wie hoch ist die Hundesteuer?</h2><p>{ANSWER}</p>"
    f"<h2>Wie melde ich meinen Hund an?</h2><p>{OTHER}</p>",
    "details": f"<details><summary>Wie hoch ist die Hundesteuer?</summary><p>{ANSWER}</p>"
    f"</details><details><summary>Wie melde ich meinen Hund an?</summary><p>{OTHER}</p>"
    "</details>",
    "dl": f"<dl><dt>Wie hoch ist die Hundesteuer?</dt><dd>{ANSWER}</dd>"
    f"<dt>Wie melde ich meinen Hund an?</dt><dd><p>{OTHER}</p></dd></dl>",
    "bold": f"<p><strong>Wie hoch ist die Hundesteuer?</strong></p><p>{ANSWER}</p>"
    f"<p><b>Wie melde ich meinen Hund an?</b></p><p>{OTHER}</p>",
    # a JavaScript accordion: the question is a button, the answer a panel hidden until clicked
    "accordion": '<div class="accordion"><h3><button aria-controls="a1" aria-expanded="false">'
    'Wie hoch ist die Hundesteuer?</button></h3><div id="a1" hidden>'
    f"<p>{ANSWER}</p></div>"
    '<button class="faq-toggle" aria-controls="a2">Wie melde ich meinen Hund an?</button>'
    f'<div id="a2" style="display: none" aria-hidden="true"><p>{OTHER}</p></div></div>',
}


@pytest.mark.parametrize("markup", sorted(MARKUPS))
def test_each_question_is_one_chunk_with_its_answer(markup):
    document = parse_html(page(MARKUPS[markup]), "https://gemeinde.example/faq")
    chunks = chunk_document(document)
    by_question = {chunk.heading_path[-1]: chunk for chunk in chunks if chunk.heading_path}
    first = by_question["Wie hoch ist die Hundesteuer?"]
    second = by_question["Wie melde ich meinen Hund an?"]
    assert ANSWER in first.text and OTHER not in first.text
    assert OTHER in second.text and ANSWER not in second.text
    # the question is part of what is indexed and embedded
    assert "Wie hoch ist die Hundesteuer?" in first.index_text()
    # questions are siblings under the page's heading, not nested in each other
    assert first.heading_path == ("Häufige Fragen", "Wie hoch ist die Hundesteuer?")


def test_a_short_intro_is_not_merged_with_the_first_question():
    # without the rule, the 30-character intro would swallow the first (short) answer and
    # its question would only be text, not the chunk's heading
    document = parse_html(page(MARKUPS["headings"]), "https://gemeinde.example/faq")
    (intro, *_) = chunk_document(document)
    assert intro.heading_path == ("Häufige Fragen",)
    assert ANSWER not in intro.text


def test_non_question_markup_is_left_alone():
    body = (
        "<dl><dt>Telefon</dt><dd>05123 4567-0</dd><dt>E-Mail</dt><dd>info@x.example</dd></dl>"
        "<p><strong>Wichtig:</strong> Bitte Termin vereinbaren.</p>"
        "<nav><details><summary>Menü?</summary><a href='/'>Start</a></details></nav>"
    )
    document = parse_html(page(body), "https://gemeinde.example/kontakt")
    headings = [block.text for block in document.blocks if block.kind == "heading"]
    assert headings == ["Häufige Fragen"]  # the nav's details are chrome, dropped with it
    assert "Telefon" in document.text and "Bitte Termin vereinbaren." in document.text


def test_a_hidden_panel_nobody_controls_stays_dropped():
    body = "<div hidden><p>Geheimer Entwurf</p></div><p>Sichtbar.</p>"
    document = parse_html(page(body), "https://gemeinde.example/x")
    assert "Geheimer Entwurf" not in document.text


@pytest.mark.parametrize(
    ("text", "question"),
    [("Wie hoch ist die Hundesteuer?", True), ("Was kostet das? ", True), ("Fragen?:", True)],
)
def test_is_question(text, question):
    assert is_question(text) is question
    assert not is_question("Hundesteuer")
