"""How well retrieval and the relevance decision serve a set of test questions: pure functions.

A test question names what should answer it — one or more page URLs, optionally the PDF page
and a piece of the passage's text — or says the site cannot answer it. Judging one question
takes the ranked hits the chat retrieved and whether the chat abstained ("I don't know");
summarising many gives recall@k of the expected page and passage and how well abstention works.

Used by ``manage.py evaluate``, the admin's evaluation page and ``tests/bench/``; it knows
nothing of Django or of how the hits were found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from rag.models import RetrievedChunk

KS = (1, 5, 10)


@dataclass(frozen=True)
class TestQuestion:
    """``answerable`` False: the site cannot answer it, the right result is abstention.

    An answerable question names the page(s) that answer it in ``expected_urls`` (any one
    counts); ``expected_page`` narrows a PDF to one page; ``expected_passage`` is text the
    answering passage contains (compared ignoring case and whitespace)."""

    __test__ = False  # not a pytest test class, despite its name

    question: str
    expected_urls: tuple[str, ...] = ()
    expected_page: int | None = None
    expected_passage: str = ""
    answerable: bool = True
    language: str = ""
    id: str = ""


@dataclass(frozen=True)
class QuestionResult:
    """Ranks are 1-based, None when no hit qualifies. ``expected_indexed`` False means none of
    the expected pages is in the index at all: a problem of the crawl, not a retrieval miss."""

    question: TestQuestion
    page_rank: int | None
    passage_rank: int | None
    abstained: bool
    expected_indexed: bool = True
    hits: int = 0

    @property
    def counts_for_recall(self) -> bool:
        return self.question.answerable and self.expected_indexed


@dataclass(frozen=True)
class Summary:
    questions: int
    answerable: int
    unanswerable: int
    # answerable questions whose expected page is not indexed (left out of recall)
    not_indexed: int
    page_recall: dict[int, float] = field(default_factory=dict)
    # only over questions that name an expected passage (None when none does)
    passage_recall: dict[int, float | None] = field(default_factory=dict)
    # share of unanswerable questions the chat abstained on (None when there are none)
    abstention_rate: float | None = None
    # share of answerable questions the chat wrongly abstained on
    false_abstention_rate: float | None = None
    # abstention as a classifier of "cannot answer": precision and recall
    abstention_precision: float | None = None
    abstention_recall: float | None = None
    # answerable questions answered (not abstained) with the expected page among the top 5
    answered_with_page: float | None = None

    def to_dict(self) -> dict:
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "not_indexed": self.not_indexed,
            "page_recall": {str(k): v for k, v in self.page_recall.items()},
            "passage_recall": {str(k): v for k, v in self.passage_recall.items()},
            "abstention_rate": self.abstention_rate,
            "false_abstention_rate": self.false_abstention_rate,
            "abstention_precision": self.abstention_precision,
            "abstention_recall": self.abstention_recall,
            "answered_with_page": self.answered_with_page,
        }


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, fragment and a trailing slash dropped: the forms of one
    page's address that editors and crawls write differently."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def hit_is_expected_page(question: TestQuestion, hit: RetrievedChunk) -> bool:
    expected = {normalise_url(url) for url in question.expected_urls}
    if normalise_url(hit.url) not in expected:
        return False
    if question.expected_page is None or hit.page is None:
        return True
    last = hit.page_end if hit.page_end is not None else hit.page
    return hit.page <= question.expected_page <= last


def hit_holds_passage(question: TestQuestion, hit: RetrievedChunk) -> bool:
    return bool(question.expected_passage) and (
        _squash(question.expected_passage) in _squash(hit.text)
    )


def judge(
    question: TestQuestion,
    hits: Sequence[RetrievedChunk],
    abstained: bool,
    is_indexed: Callable[[str], bool] | None = None,
) -> QuestionResult:
    """One question's result from the chat's ranked ``hits`` and its abstention.

    ``is_indexed(url)`` tells whether a URL is in the index at all; without it every
    expected page counts as indexed."""
    page_rank = passage_rank = None
    for rank, hit in enumerate(hits, start=1):
        if page_rank is None and hit_is_expected_page(question, hit):
            page_rank = rank
        if passage_rank is None and hit_is_expected_page(question, hit):
            if hit_holds_passage(question, hit):
                passage_rank = rank
    indexed = True
    if question.answerable and question.expected_urls and is_indexed is not None:
        indexed = page_rank is not None or any(is_indexed(url) for url in question.expected_urls)
    return QuestionResult(
        question=question,
        page_rank=page_rank,
        passage_rank=passage_rank,
        abstained=abstained,
        expected_indexed=indexed,
        hits=len(hits),
    )


def _share(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def summarise(results: Sequence[QuestionResult], ks: Sequence[int] = KS) -> Summary:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    counted = [r for r in answerable if r.expected_indexed]
    with_passage = [r for r in counted if r.question.expected_passage]
    page_recall = {
        k: _share(sum(1 for r in counted if r.page_rank and r.page_rank <= k), len(counted)) or 0.0
        for k in ks
    }
    passage_recall = {
        k: _share(
            sum(1 for r in with_passage if r.passage_rank and r.passage_rank <= k),
            len(with_passage),
        )
        for k in ks
    }
    abstained_right = sum(1 for r in unanswerable if r.abstained)
    abstained_wrong = sum(1 for r in counted if r.abstained)
    answered_with_page = sum(
        1 for r in counted if not r.abstained and r.page_rank is not None and r.page_rank <= 5
    )
    return Summary(
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        not_indexed=len(answerable) - len(counted),
        page_recall=page_recall,
        passage_recall=passage_recall,
        abstention_rate=_share(abstained_right, len(unanswerable)),
        false_abstention_rate=_share(abstained_wrong, len(counted)),
        abstention_precision=_share(abstained_right, abstained_right + abstained_wrong),
        abstention_recall=_share(abstained_right, len(unanswerable)),
        answered_with_page=_share(answered_with_page, len(counted)),
    )
