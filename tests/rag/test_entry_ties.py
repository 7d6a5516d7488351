"""An editor's knowledge entry wins near-ties against crawled passages, and is cited as the
editorial team with its date when it has no link."""

from __future__ import annotations

import pytest

from rag.answer.citations import editorial_label, source_refs
from rag.models import RetrievedChunk
from rag.retrieval.ties import entries_win_ties


def hit(
    name: str, score: float, *, entry: bool = False, url: str = "https://x.example/"
) -> RetrievedChunk:
    extra = {"kind": "entry", "entry_date": "2026-12-01"} if entry else {}
    return RetrievedChunk(
        score=score, document_id=name, source_id="1", chunk_index=0, url=url, title=name,
        heading_path=("Wo parken?",) if entry else ("A", "B"), text="Text.", language="de",
        extra=extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    "page_score, entry_score, first",
    [
        (1.00, 1.00, "entry"),  # a tie
        (1.04, 1.00, "entry"),  # within the margin
        (1.06, 1.00, "page"),  # a clearly better page stays first
        (0.50, 1.00, "entry"),
    ],
)
def test_an_entry_wins_near_ties_only(page_score, entry_score, first):
    hits = [hit("page", page_score), hit("entry", entry_score, entry=True)]
    ranked = entries_win_ties(hits, matches=lambda hit: True)
    assert ranked[0].document_id == first
    assert [h.score for h in ranked if h.document_id == "entry"] == [entry_score]  # unchanged


def test_without_a_matching_entry_the_order_is_the_searchs():
    hits = [hit("b", 0.5), hit("a", 0.9)]
    assert entries_win_ties(hits, matches=lambda hit: True) == hits
    # an entry the relevance decision did not accept is never moved up
    hits = [hit("page", 1.0), hit("entry", 1.0, entry=True)]
    assert entries_win_ties(hits, matches=lambda hit: False) == hits


@pytest.mark.parametrize(
    "language, label",
    [
        ("de", "Redaktion, 1.12.2026"),
        ("en", "Editorial team, 2026-12-01"),
        ("fr", "Editorial team, 2026-12-01"),
    ],
)
def test_an_entry_without_a_link_is_cited_as_the_editorial_team(language, label):
    (ref,) = source_refs([hit("entry", 1.0, entry=True, url="")], [1], language)
    assert (ref.title, ref.url, ref.kind, ref.section) == (label, "", "entry", "")
    assert editorial_label("", "de") == "Redaktion"


def test_an_entry_with_a_link_is_cited_by_its_question_and_link_and_pages_as_before():
    entry, page = source_refs(
        [hit("Wo kann ich parken?", 1.0, entry=True, url="https://v.example/anfahrt/"), hit("Beiträge", 1.0)],
        [1, 2],
    )  # fmt: skip
    assert (entry.title, entry.url, entry.kind) == (
        "Wo kann ich parken?",
        "https://v.example/anfahrt/",
        "entry",
    )
    assert (page.kind, page.section) == ("page", "A › B")
