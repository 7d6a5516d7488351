"""The evaluation's judging and summary: ranks, passages, abstention, pages not indexed."""

from __future__ import annotations

import pytest

from rag.evaluation import TestQuestion, judge, normalise_url, summarise
from rag.models import RetrievedChunk


def hit(url: str, text: str = "", page: int | None = None, page_end: int | None = None):
    return RetrievedChunk(
        score=1.0, document_id="1", source_id="1", chunk_index=0, url=url, title="",
        heading_path=(), text=text, language="de", page=page, page_end=page_end,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Verein.example/Beitrag/", "https://verein.example/Beitrag"),
        ("https://verein.example/#top", "https://verein.example/"),
        ("HTTPS://verein.example/a?x=1", "https://verein.example/a?x=1"),
    ],
)
def test_addresses_of_one_page_compare_equal(a, b):
    assert normalise_url(a) == normalise_url(b)


def test_ranks_of_page_and_passage():
    question = TestQuestion(
        "Was kostet die Mitgliedschaft?",
        expected_urls=("https://verein.example/beitrag/",),
        expected_passage="60 Euro im Jahr",
    )
    hits = [
        hit("https://verein.example/kurse/"),
        hit("https://verein.example/beitrag", "Einleitung"),
        hit("https://verein.example/beitrag", "Der Beitrag: 60  Euro im Jahr."),
    ]
    result = judge(question, hits, abstained=False)
    assert (result.page_rank, result.passage_rank) == (2, 3)


def test_pdf_page_must_match_when_named():
    question = TestQuestion("Tabelle?", expected_urls=("https://v.example/a.pdf",), expected_page=4)
    hits = [
        hit("https://v.example/a.pdf", page=1),
        hit("https://v.example/a.pdf", page=3, page_end=5),
    ]
    assert judge(question, hits, abstained=False).page_rank == 2


def test_expected_page_not_indexed_is_reported_not_a_miss():
    question = TestQuestion("Wo?", expected_urls=("https://v.example/fehlt/",))
    result = judge(question, [hit("https://v.example/anders/")], False, is_indexed=lambda u: False)
    assert not result.expected_indexed
    summary = summarise([result])
    assert summary.not_indexed == 1 and summary.page_recall[5] == 0.0


def test_summary_of_recall_and_abstention():
    page = "https://v.example/p/"
    found = judge(TestQuestion("a", expected_urls=(page,)), [hit(page)], abstained=False)
    missed = judge(TestQuestion("b", expected_urls=(page,)), [hit("https://v.example/x/")], True)
    gap_ok = judge(TestQuestion("c", answerable=False), [hit(page)], abstained=True)
    gap_wrong = judge(TestQuestion("d", answerable=False), [hit(page)], abstained=False)
    summary = summarise([found, missed, gap_ok, gap_wrong])
    assert summary.page_recall == {1: 0.5, 5: 0.5, 10: 0.5}
    assert summary.passage_recall == {1: None, 5: None, 10: None}
    assert summary.abstention_rate == 0.5
    assert summary.false_abstention_rate == 0.5
    assert summary.abstention_precision == 0.5
    assert summary.answered_with_page == 0.5


def test_no_questions_gives_empty_figures_not_an_error():
    summary = summarise([])
    assert summary.questions == 0 and summary.abstention_rate is None
