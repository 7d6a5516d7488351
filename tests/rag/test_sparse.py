from __future__ import annotations

import subprocess
import sys

import pytest

from rag.config import SparseConfig
from rag.embeddings.sparse import SparseEncoder, term_index


def overlap(document: str, query: str, encoder: SparseEncoder | None = None) -> float:
    """Dot product of the two vectors, i.e. the score Qdrant gives before IDF."""
    encoder = encoder or SparseEncoder()
    doc = encoder.encode_document(document)
    weights = dict(zip(doc.indices, doc.values, strict=True))
    q = encoder.encode_query(query)
    return sum(weights.get(i, 0.0) * v for i, v in zip(q.indices, q.values, strict=True))


@pytest.mark.parametrize(
    ("document", "query"),
    [
        ("Die Anmeldungen sind geschlossen.", "Anmeldung"),  # stemming
        ("Die Anmeldefrist endet am Freitag.", "Frist"),  # compound part via n-grams
        ("Die Kursgebühren werden abgebucht.", "Gebühr"),
        ("GEBUHR fur den Kurs", "Gebühr"),  # umlaut-less spelling
        ("Öffnungszeiten der Bibliothek", "öffnungszeiten"),  # case
        ("Die Bibliothek ist montags geschlossen.", "Bibliotheken"),
    ],
)
def test_query_matches_related_german_words(document, query):
    assert overlap(document, query) > 0


@pytest.mark.parametrize(
    ("document", "query"),
    [
        ("Die Bibliothek ist montags geschlossen.", "und oder der die das"),  # stopwords only
        ("Die Bibliothek ist montags geschlossen.", "Schwimmbad"),
    ],
)
def test_unrelated_or_stopword_queries_do_not_match(document, query):
    assert overlap(document, query) == 0


def test_whole_word_outweighs_a_compound_part():
    assert overlap("Frist bis Freitag", "Frist") > overlap("Anmeldefrist bis Freitag", "Frist")


def test_term_frequency_saturates_and_long_chunks_weigh_less():
    encoder = SparseEncoder()
    once, five_times = (
        overlap("Gebühr", "Gebühr", encoder),
        overlap("Gebühr " * 5, "Gebühr", encoder),
    )
    assert once < five_times < 5 * once
    padded = "Gebühr " + "Bibliothek Ausweis Öffnungszeit " * 100
    assert overlap(padded, "Gebühr", encoder) < once


def test_vectors_are_sorted_unique_and_deterministic():
    encoder = SparseEncoder()
    vector = encoder.encode_document("Die Anmeldefrist für die Anmeldung endet. Anmeldung!")
    assert list(vector.indices) == sorted(set(vector.indices))
    assert encoder.encode_document("Die Anmeldefrist für die Anmeldung endet. Anmeldung!") == vector
    assert encoder.encode_query("").indices == ()


def test_term_index_is_stable_across_processes():
    # Python's hash() is salted per process; stored vectors must not depend on it
    code = "from rag.embeddings.sparse import term_index; print(term_index('w:anmeld'))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )  # fmt: skip
    assert int(other.stdout) == term_index("w:anmeld") == 175555737
    assert 0 <= term_index("x") < 2**32


def test_ngrams_can_be_switched_off_by_weight():
    encoder = SparseEncoder(SparseConfig(ngram_weight=0.0))
    assert overlap("Die Anmeldefrist endet am Freitag.", "Frist", encoder) == 0


def test_question_words_can_be_left_out_of_the_query():
    # off by default (measured: no gain, a small XQuAD loss); the bench's ablation row
    encoder = SparseEncoder(SparseConfig(drop_question_words=True))
    asked = encoder.encode_query("Welche Öffnungszeiten hat das Rathaus?")
    assert asked == encoder.encode_query("Öffnungszeiten Rathaus")
    # a page is not found for sharing "welche" with the question
    no_ngrams = SparseEncoder(SparseConfig(ngram_weight=0.0, drop_question_words=True))
    welche = no_ngrams.encode_document("Welche Farbe?")
    asked_welche = no_ngrams.encode_query("Welche Öffnungszeiten?")
    assert not {i for i, v in zip(asked_welche.indices, asked_welche.values, strict=True) if v} & {
        i for i, v in zip(welche.indices, welche.values, strict=True) if v
    }
    # only question words: they are kept rather than searching for nothing
    assert encoder.encode_query("Wie? Was? Wann?").indices
    keep = SparseEncoder()
    assert keep.encode_query("Welche Öffnungszeiten hat das Rathaus?") != asked
