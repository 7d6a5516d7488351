from __future__ import annotations

import pytest

from rag.chunking import chunk_document, split_text
from rag.config import ChunkingConfig
from rag.models import Block, ParsedDocument


def doc(*blocks: Block, language: str = "de") -> ParsedDocument:
    return ParsedDocument(
        url="https://example.org/seite",
        content_type="html",
        title="Seite",
        language=language,
        blocks=blocks,
        parser_version="test",
    )


def h(level: int, text: str, page: int | None = None) -> Block:
    return Block("heading", text, level=level, page=page)


def p(text: str, page: int | None = None) -> Block:
    return Block("text", text, page=page)


LONG = "Die Anmeldung erfolgt schriftlich. " * 20  # 700 characters


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("", 10, []),
        ("kurz", 10, ["kurz"]),
        ("Erster Satz. Zweiter Satz.", 15, ["Erster Satz.", "Zweiter Satz."]),
        ("Erster Satz. Zweiter Satz.", 100, ["Erster Satz. Zweiter Satz."]),
        ("eins zwei drei vier", 9, ["eins zwei", "drei vier"]),
        ("Donaudampfschifffahrt", 8, ["Donaudam", "pfschiff", "fahrt"]),
        ("Satz eins. satz zwei", 12, ["Satz eins.", "satz zwei"]),  # no capital: word split
    ],
)
def test_split_text(text, max_chars, expected):
    assert split_text(text, max_chars) == expected


@pytest.mark.parametrize(
    ("blocks", "config", "expected"),
    [
        pytest.param(
            [h(1, "A"), p("a" * 400), h(2, "B"), p("b" * 400), h(1, "C"), p("c" * 400)],
            ChunkingConfig(max_chars=1000, min_chars=100),
            [(("A",), 400), (("A", "B"), 400), (("C",), 400)],
            id="one-chunk-per-section",
        ),
        pytest.param(
            [h(1, "A"), p("kurz"), h(2, "B"), p("b" * 400)],
            ChunkingConfig(max_chars=1000, min_chars=100),
            [(("A",), len("kurz\n\nB\n\n") + 400)],
            id="short-section-merges-with-its-subsection",
        ),
        pytest.param(
            [h(2, "A"), p("kurz"), h(1, "B"), p("b" * 400)],
            ChunkingConfig(max_chars=1000, min_chars=100),
            [(("A",), 4), (("B",), 400)],
            id="short-section-never-merges-into-a-sibling",
        ),
        pytest.param(
            [p("vorwort " * 10), h(1, "A"), p("a" * 300)],
            ChunkingConfig(max_chars=1000, min_chars=10),
            [((), 79), (("A",), 300)],
            id="text-before-the-first-heading",
        ),
        pytest.param(
            [h(1, "A"), p(LONG)],
            ChunkingConfig(max_chars=300, min_chars=10),
            [(("A",), 279), (("A",), 279), (("A",), 139)],
            id="long-section-split-at-sentences",
        ),
        pytest.param(
            [h(1, "A"), h(2, "leer"), h(2, "B"), p("b" * 50)],
            ChunkingConfig(max_chars=300, min_chars=10),
            [(("A", "B"), 50)],
            id="empty-sections-vanish",
        ),
        pytest.param(
            [h(1, "A"), h(3, "tief"), p("t"), h(2, "B"), p("b")],
            ChunkingConfig(max_chars=300, min_chars=0),
            [(("A", "tief"), 1), (("A", "B"), 1)],
            id="skipped-levels-and-popping",
        ),
    ],
)
def test_chunk_document_follows_headings(blocks, config, expected):
    chunks = chunk_document(doc(*blocks), config)
    assert [(c.heading_path, len(c.text)) for c in chunks] == expected
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= config.max_chars for c in chunks)


def test_chunks_carry_url_title_pages_and_language():
    english = "This part is written in English and it is about the library and its rules. " * 3
    blocks = [
        h(1, "Ausleihe", page=1),
        p("Bücher können vier Wochen ausgeliehen werden und die Frist ist verlängerbar.", 1),
        p("Die Verlängerung ist online möglich, wenn keine Vormerkung vorliegt.", 2),
        h(1, "Summary", page=3),
        p(english, page=3),
    ]
    chunks = chunk_document(doc(*blocks), ChunkingConfig(max_chars=2000, min_chars=0))

    assert [(c.page, c.page_end) for c in chunks] == [(1, 2), (3, 3)]
    assert [c.language for c in chunks] == ["de", "en"]
    assert {c.url for c in chunks} == {"https://example.org/seite"}
    assert {c.title for c in chunks} == {"Seite"}
    assert chunks[0].index_text().startswith("Seite\nAusleihe\nBücher")


def test_list_items_are_marked():
    blocks = [
        h(1, "Gebühren"),
        Block("list_item", "Kinder frei"),
        Block("list_item", "Erwachsene 12 €"),
    ]
    (chunk,) = chunk_document(doc(*blocks))
    assert chunk.text == "- Kinder frei\n\n- Erwachsene 12 €"
