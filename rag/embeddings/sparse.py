"""A BM25-style sparse vector for German (and English) text, with no model to download.

Document side: each term's value is BM25's saturated term frequency
``tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))``; the collection's sparse vector is
created with ``Modifier.IDF``, so Qdrant multiplies in the inverse document frequency from its
own statistics at query time. Query side: 1.0 per distinct term.

Terms are Snowball stems (one stemmer for both sides, so they always agree) plus character
n-grams of longer words at a lower weight: German compounds ("Anmeldefrist",
"Kursgebühr") then share terms with their parts ("Frist", "Gebühr") without a dictionary.
Each term maps to a 32-bit index by a stable hash (``hash()`` differs per process).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import unicodedata
from collections import Counter

import snowballstemmer

from rag.config import SparseConfig
from rag.models import SparseVector
from rag.parsing.language import ENGLISH_STOPWORDS, GERMAN_STOPWORDS, QUESTION_WORDS

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = GERMAN_STOPWORDS | ENGLISH_STOPWORDS
# folded umlauts, so "Gebühr" and "GEBUHR" (a PDF without umlaut glyphs) meet in the n-grams
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


@functools.lru_cache(maxsize=500_000)
def term_index(term: str) -> int:
    """Stable 32-bit index of a term (memoised: a site repeats its vocabulary endlessly)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big")


_threads = threading.local()


@functools.lru_cache(maxsize=200_000)
def stem_word(language: str, word: str) -> str:
    """Memoised: stemming was three quarters of the time it takes to index an HTML page, and
    the same words come back on every page. A Snowball stemmer keeps state while it works, so
    each thread has its own (the cache itself is thread-safe)."""
    stemmers = _threads.__dict__.setdefault("stemmers", {})
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = snowballstemmer.stemmer(language)
    return stemmer.stemWord(word)


class SparseEncoder:
    """Sparse vectors for chunks (``encode_document``) and questions (``encode_query``)."""

    def __init__(self, config: SparseConfig | None = None) -> None:
        self.config = config or SparseConfig()
        self._language = self.config.stem_language

    def tokens(self, text: str) -> list[str]:
        """Lower-cased words without stopwords; digits kept (years, paragraph numbers)."""
        text = unicodedata.normalize("NFKC", text).casefold()
        return [token for token in _TOKEN.findall(text) if token not in _STOPWORDS]

    def terms(self, text: str) -> Counter[str]:
        """Term counts: "w:" stems and "g:" n-grams, kept apart so they never collide."""
        counts: Counter[str] = Counter()
        size = self.config.ngram_size
        for token in self.tokens(text):
            counts["w:" + stem_word(self._language, token)] += 1
            if len(token) < size or token.isdigit():
                continue
            folded = token.translate(_FOLD)
            for start in range(len(folded) - size + 1):
                counts["g:" + folded[start : start + size]] += 1
        return counts

    def _vector(self, weights: dict[str, float]) -> SparseVector:
        by_index: dict[int, float] = {}
        for term, weight in weights.items():
            index = term_index(term)
            by_index[index] = by_index.get(index, 0.0) + weight  # a rare collision just adds
        ordered = sorted(by_index.items())
        return SparseVector(
            indices=tuple(index for index, _ in ordered),
            values=tuple(round(value, 6) for _, value in ordered),
        )

    def _term_weight(self, term: str) -> float:
        return self.config.ngram_weight if term.startswith("g:") else 1.0

    def encode_document(self, text: str) -> SparseVector:
        counts = self.terms(text)
        cfg = self.config
        length = sum(count for term, count in counts.items() if term.startswith("w:"))
        norm = cfg.k1 * (1 - cfg.b + cfg.b * length / cfg.avg_doc_terms)
        weights = {
            term: self._term_weight(term) * tf * (cfg.k1 + 1) / (tf + norm)
            for term, tf in counts.items()
        }
        return self._vector(weights)

    def encode_query(self, text: str) -> SparseVector:
        if self.config.drop_question_words:
            kept = [word for word in _TOKEN.findall(text) if word.casefold() not in QUESTION_WORDS]
            if kept:  # a question of question words only keeps them: better than nothing
                text = " ".join(kept)
        return self._vector({term: self._term_weight(term) for term in self.terms(text)})
