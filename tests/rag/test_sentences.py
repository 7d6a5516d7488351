"""rag.sentences: German and English sentence boundaries (cases in sentence_cases.py)."""

from __future__ import annotations

import pytest

from rag.sentences import split_sentences
from tests.rag.sentence_cases import CASES


@pytest.mark.parametrize(("language", "text", "expected"), CASES, ids=lambda v: str(v)[:40])
def test_split_sentences(language, text, expected):
    assert split_sentences(text, language) == expected


def test_invisible_characters_and_whitespace_are_dropped():
    assert split_sentences("\ufeffErster  Satz.\u200b Zweiter\tSatz.") == [
        "Erster Satz.",
        "Zweiter Satz.",
    ]


def test_english_ends_at_a_number_german_does_not_before_a_noun():
    assert split_sentences("Es kamen 12. Gäste blieben.", "de") == ["Es kamen 12. Gäste blieben."]
    assert split_sentences("We were 12. Guests stayed.", "en") == ["We were 12.", "Guests stayed."]
