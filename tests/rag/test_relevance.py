"""The relevance decision (rag/answer/relevance.py) on constructed passages."""

from __future__ import annotations

import pytest

from rag.answer.config import AnswerConfig
from rag.answer.relevance import (
    DEFAULT_STAND_OUT,
    content_terms,
    coverage,
    judge_chunk,
    judge_chunks,
    stand_out_for,
)
from rag.models import RetrievedChunk

CONFIG = AnswerConfig()
BEITRAG = (
    "Der Jahresbeitrag für Erwachsene beträgt 120 Euro, für Kinder und Jugendliche 60 Euro. "
    "Der Mitgliedsbeitrag wird im Januar abgebucht."
)
OEFFNUNG = "Die Geschäftsstelle ist montags bis freitags von 9 bis 12 Uhr geöffnet."


def passage(text: str, *, dense: float | None = None, background: float | None = None, **kw):
    extra = {} if dense is None else {"dense_score": dense, "dense_background": background}
    return RetrievedChunk(
        score=kw.get("score", 1.0), document_id="d", source_id="1", chunk_index=0,
        url="https://verein.example/", title=kw.get("title", ""), heading_path=(),
        text=text, language="de", extra=extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("Wie hoch ist der Mitgliedsbeitrag?", ["hoch", "mitgliedsbeitrag"]),
        ("Welche Öffnungszeiten hat das Rathaus?", ["öffnungszeiten", "rathaus"]),
        ("Gibt es eine Ermäßigung für Kinder?", ["ermässigung", "kinder"]),  # casefolded
        ("How much is the membership fee?", ["membership", "fee"]),
        ("Was ist das?", []),
        ("Kosten 2024", ["kosten", "2024"]),
    ],
)
def test_content_terms_leave_out_question_and_stop_words(question, terms):
    assert content_terms(question) == terms


def test_coverage_counts_stems_and_compound_parts():
    # "Beiträge" and the passage's "Jahresbeitrag": the stem is part of the compound
    assert coverage("Wie hoch sind die Beiträge?", BEITRAG).matched == ("beiträge",)
    # "Steuer" is part of "Hundesteuer", and "Antrag" part of the question's "Bauantrag"
    assert coverage("Steuer für Hunde", "Die Hundesteuer beträgt 72 Euro.").matched == (
        "steuer",
        "hunde",
    )
    assert coverage("Bauantrag stellen", "Den Antrag stellen Sie im Bauamt.").share == 1.0
    partial = coverage("Wie hoch ist der Beitrag für Rentner?", BEITRAG)
    assert partial.missing == ("hoch", "rentner") and partial.share == pytest.approx(1 / 3)


def test_sparse_only_decides_by_coverage_whatever_the_question_length():
    relevant = judge_chunk("Jahresbeitrag Kinder", passage(BEITRAG), CONFIG)
    unrelated = judge_chunk("Wann hat das Rathaus geöffnet?", passage(BEITRAG), CONFIG)
    assert relevant["relevant"] and not unrelated["relevant"]
    # the same share of a much longer question gives the same verdict
    long_question = "Jahresbeitrag Kinder " * 40
    assert judge_chunk(long_question, passage(BEITRAG), CONFIG)["relevant"]
    # a raw BM25 score, however high, no longer decides
    assert not judge_chunk("Öffnungszeiten Rathaus", passage(BEITRAG, score=8.0), CONFIG)[
        "relevant"
    ]


def test_hybrid_meaning_that_stands_out_counts_without_shared_words():
    # a paraphrase: no word in common, but its meaning stands well above the background
    paraphrase = judge_chunk(
        "Was zahlt man im Jahr?", passage(BEITRAG, dense=0.55, background=0.25), CONFIG
    )
    assert paraphrase["relevant"] and paraphrase["coverage"] == 0.0
    assert paraphrase["stand_out"] == pytest.approx(0.30)
    # the nearest passage of a question the site cannot answer: high cosine, no stand-out
    near_miss = judge_chunk(
        "Wann ist der Blutspendetermin?", passage(OEFFNUNG, dense=0.45, background=0.40), CONFIG
    )
    assert not near_miss["relevant"]
    # words found lower how far the meaning must stand out
    almost = passage(BEITRAG, dense=0.4, background=0.4 - 0.9 * stand_out_for(""))
    words = judge_chunk("Jahresbeitrag", almost, CONFIG)
    no_words = judge_chunk("Spende", almost, CONFIG)
    assert words["relevant"] and not no_words["relevant"]


def test_confidence_is_monotonic_and_the_threshold_configurable():
    low, high = (
        judge_chunk("Jahresbeitrag", passage(BEITRAG, dense=d, background=0.2), CONFIG)
        for d in (0.3, 0.6)
    )
    assert 0 <= low["confidence"] < high["confidence"] <= 1
    strict = AnswerConfig(min_confidence=0.999)
    assert not judge_chunk("Jahresbeitrag", passage(BEITRAG, dense=0.3, background=0.2), strict)[
        "relevant"
    ]


def test_stand_out_scale_per_model():
    assert stand_out_for("use-multilingual-v3") == pytest.approx(0.21)
    assert stand_out_for("some-operator-model") == DEFAULT_STAND_OUT
    assert stand_out_for("use-multilingual-v3", configured=0.05) == 0.05
    # a model with compressed cosines (e5-like): the operator's scale makes it count
    chunk = passage(BEITRAG, dense=0.86, background=0.80)
    assert not judge_chunk("Spende", chunk, AnswerConfig(dense_model="e5"))["relevant"]
    assert judge_chunk("Spende", chunk, AnswerConfig(dense_model="e5", min_stand_out=0.05))[
        "relevant"
    ]


def test_bad_questions_give_clear_verdicts():
    # only stop and question words: nothing asked that a passage could answer
    (verdict,) = judge_chunks(
        "Was ist das denn?", [passage(BEITRAG, dense=0.9, background=0.1)], CONFIG
    )
    assert not verdict["relevant"] and "no content words" in verdict["why"]
    # 1000 characters: judged like any other question
    (long,) = judge_chunks("Beitrag " + "x" * 990, [passage(BEITRAG)], CONFIG)
    assert long["relevant"] is False and 0 <= long["confidence"] <= 1
    assert judge_chunks("Beitrag", [], CONFIG) == []


def test_why_names_the_words_and_the_meaning():
    verdict = judge_chunk(
        "Wie hoch ist der Beitrag für Rentner?", passage(BEITRAG, dense=0.5, background=0.3), CONFIG
    )
    assert "1 of 3 question words found (beitrag)" in verdict["why"]
    assert "missing: hoch, rentner" in verdict["why"]
    assert "+0.20 above the background" in verdict["why"]
    assert verdict["why"].startswith("relevant" if verdict["relevant"] else "not relevant")


def test_all_question_words_count_even_when_the_meaning_does_not_stand_out():
    # a follow-up searched together with the previous question: the dense side looked for
    # both, the passage holds every word of the visitor's own question
    low = passage("Das Kinderturnen ist dienstags.", dense=0.30, background=0.29)
    assert judge_chunk("Und wann ist das Kinderturnen?", low, CONFIG)["relevant"]
    # half of the words and no stand-out: not enough
    assert not judge_chunk("Kinderturnen Schwimmkurs", low, CONFIG)["relevant"]
