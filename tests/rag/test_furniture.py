"""The one page-furniture filter: page numbers, running heads carrying the printed page
number, and lines repeated on most pages leave a PDF's boxes; the text stays."""

from __future__ import annotations

import pytest

from rag.parsing.furniture import drop_page_furniture
from rag.parsing.pdf_layout import TextBox

BODY = "Der Verein trifft sich jeden Dienstag in der Sporthalle am Marktplatz."


def body(n: int) -> str:
    """A paragraph of page ``n`` (no number at its edges: that would make it a head)."""
    return f"{BODY} Abschnitt {'ABCDEFG'[n]}."


def pages(*per_page: list[str]) -> list[TextBox]:
    return [
        TextBox(text, 10.0, number, lines=1)
        for number, texts in enumerate(per_page, start=1)
        for text in texts
    ]


def texts(boxes: list[TextBox]) -> list[tuple[int, str]]:
    return [(box.page, box.text) for box in boxes]


def test_page_numbers_at_the_edges_go_arabic_and_roman():
    boxes = pages(["iii", BODY], [BODY + " Zwei", "4"], ["Titel", BODY + " Drei"])
    assert texts(drop_page_furniture(boxes, 3)) == [
        (1, BODY), (2, BODY + " Zwei"), (3, "Titel"), (3, BODY + " Drei"),
    ]  # fmt: skip


def test_heads_carrying_the_printed_page_number_go_when_three_pages_agree():
    # printed page = physical page + 6 (front matter), as in a TeX book
    heads = [f"{n + 6} 1.2. METRISCHE RÄUME" for n in range(1, 4)]
    boxes = pages(*[[head, body(n)] for n, head in enumerate(heads, start=1)])
    assert texts(drop_page_furniture(boxes, 3)) == [(n, body(n)) for n in (1, 2, 3)]


def test_two_pages_agreeing_may_be_content():
    boxes = pages(["7 Zwerge wohnen hier", BODY], ["8 Zwerge wohnen dort", BODY + " x"])
    assert len(drop_page_furniture(boxes, 2)) == 4


def test_a_long_edge_box_is_a_paragraph_even_with_the_right_number_at_its_end():
    heads = [[f"{n + 6} KAPITEL {'ABC'[n - 1]}", body(n)] for n in range(1, 4)]
    long = "Die Mitgliederversammlung beschließt über die Satzung und wählt den Vorstand " * 2
    boxes = pages(*heads, [body(4), f"{long}für 10"])
    assert texts(drop_page_furniture(boxes, 4)) == [
        (1, body(1)), (2, body(2)), (3, body(3)), (4, body(4)), (4, f"{long}für 10"),
    ]  # fmt: skip


def test_lines_repeated_on_most_pages_go_whatever_their_numbers():
    boxes = pages(*[[f"Amtsblatt Nr. {n}", body(n), "Stadt Birkenfelde"] for n in range(1, 6)])
    assert texts(drop_page_furniture(boxes, 5)) == [(n, body(n)) for n in range(1, 6)]


def test_a_line_on_half_the_pages_or_fewer_stays():
    boxes = pages(["Hinweis", BODY], ["Hinweis", BODY + " b"], [BODY + " c"], [BODY + " d"])
    assert len(drop_page_furniture(boxes, 4)) == 6


@pytest.mark.parametrize("page_count", [1, 2, 3])
def test_short_documents_repeat_nothing_worth_dropping(page_count):
    boxes = pages(*[["Satzung", body(n)] for n in range(1, page_count + 1)])
    assert len(drop_page_furniture(boxes, page_count)) == 2 * page_count
