"""Is a retrieved passage relevant enough to answer from? One decision for every site.

A raw BM25 score says little: it grows with the question's length and the site's vocabulary
(unrelated passages scored ~8 where the old threshold was 1). Two signals that mean the same
everywhere decide instead:

* **coverage**: the share of the question's content words the passage contains (stop words
  and question words such as "wie", "gibt es", "how" left out; a word counts when its stem
  matches, or when it is part of a compound in the passage or the other way round:
  "Hundesteuer" covers "Steuer"). It lies in [0, 1] whatever the question's length.
* **stand-out** (with a dense model): how far the passage's dense cosine lies above the
  question's background, its 10th-best cosine on the site. Absolute cosines mean little:
  a question the site cannot answer still finds its nearest passages at about the same
  cosine as a paraphrase finds its answer, but the answer stands out from the rest of the
  site and the nearest miss does not. Scales differ per model (:data:`STAND_OUT`).

Hybrid: confidence = sigmoid(6 * max(stand_out / needed + coverage_weight * coverage - 1,
coverage / 0.8 - 1)); lexical only: sigmoid(6 * (coverage / min_coverage - 1)). A passage is relevant when its
confidence reaches ``min_confidence`` (0.5: exactly at the measured thresholds). The
coefficients were chosen on our dev sets (tests/bench/bench_retrieval.py: a German FAQ site
with paraphrases and questions it cannot answer; XQuAD halves), as the lowest thresholds that
abstain on 90 % of the unanswerable questions of both. Each judgement carries the figures and
a readable ``why`` for the retrieval debugger.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.config import AnswerConfig
from rag.embeddings.sparse import stem_word as stem
from rag.models import RetrievedChunk
from rag.parsing.language import ENGLISH_STOPWORDS, GERMAN_STOPWORDS, QUESTION_WORDS

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_IGNORED = QUESTION_WORDS | GERMAN_STOPWORDS | ENGLISH_STOPWORDS
# a compound part must be this long to count: "amt" in "Standesamt" would match too much
_MIN_PART = 5


# How far a passage's dense cosine must stand above the question's background (its 10th-best
# cosine on the site, rag/retrieval/search.py) to count on its own, per model: cosine scales
# differ between models. Measured on the dev sets (tests/bench/bench_retrieval.py); a model
# not listed uses DEFAULT_STAND_OUT unless the operator sets CHAT_DENSE_STAND_OUT.
STAND_OUT = {
    "use-multilingual-v3": 0.21,
    "all-minilm-l6-v2": 0.17,
}
DEFAULT_STAND_OUT = 0.2
# steepness of the confidence curve around the decision (confidence 0.5); only readability
_SLOPE = 6.0


def stand_out_for(model: str, configured: float = 0.0) -> float:
    return configured or STAND_OUT.get(model.lower(), DEFAULT_STAND_OUT)


def _fold(word: str) -> str:
    return word.translate(_FOLD)


def _stem(word: str) -> str:
    # the sparse encoder's memoised stemmer: documents, queries and coverage agree on stems
    return stem("german", word)


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _TOKEN.findall(text)


def content_terms(question: str) -> list[str]:
    """The question's words that say what is asked about, in order, each once."""
    seen: dict[str, None] = {}
    for word in words(question):
        if word in _IGNORED or (len(word) < 2 and not word.isdigit()):
            continue
        seen.setdefault(word, None)
    return list(seen)


@dataclass(frozen=True)
class Coverage:
    share: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]


class PassageWords:
    """A passage's words in the forms coverage compares: stems, and folded words for parts."""

    def __init__(self, text: str) -> None:
        tokens = set(words(text))
        self.stems = {_stem(token) for token in tokens}
        self.folded = {_fold(token) for token in tokens if len(token) >= _MIN_PART}

    def covers(self, term: str) -> bool:
        if _stem(term) in self.stems:
            return True
        if term.isdigit() or len(term) < _MIN_PART:
            return False
        # the question's word inside a compound of the passage: "Steuer" in "Hundesteuer"
        parts = {part for part in (_fold(term), _fold(_stem(term))) if len(part) >= _MIN_PART}
        if any(part in token for token in self.folded for part in parts):
            return True
        # a part of the question's compound: "Bauantrag" asked, the passage says "Antrag"
        folded = _fold(term)
        return any(token in folded for token in self.folded if len(token) > _MIN_PART)


def coverage(question: str, passage_text: str, terms: Sequence[str] | None = None) -> Coverage:
    terms = content_terms(question) if terms is None else list(terms)
    if not terms:
        return Coverage(0.0, (), ())
    passage = PassageWords(passage_text)
    matched = tuple(term for term in terms if passage.covers(term))
    missing = tuple(term for term in terms if term not in matched)
    return Coverage(len(matched) / len(terms), matched, missing)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def passage_text(chunk: RetrievedChunk) -> str:
    return "\n".join([chunk.title, *chunk.heading_path, chunk.text])


def judge_chunk(
    question: str,
    chunk: RetrievedChunk,
    config: AnswerConfig,
    terms: Sequence[str] | None = None,
) -> dict:
    """One passage's judgement: ``relevant``, ``confidence`` in [0, 1], ``coverage``,
    ``stand_out`` (dense cosine above the question's background; None without a dense
    side), the ``matched``/``missing`` words and a readable ``why`` (English; the admin
    builds its own, translated, from the same figures)."""
    terms = content_terms(question) if terms is None else terms
    cover = coverage(question, passage_text(chunk), terms)
    cosine = chunk.extra.get("dense_score")
    background = chunk.extra.get("dense_background")
    stand_out = None
    if cosine is not None and background is not None:
        stand_out = float(cosine) - float(background)
    if stand_out is None:
        z = cover.share / config.min_coverage - 1.0
    else:
        needed = stand_out_for(config.dense_model, config.min_stand_out)
        z = stand_out / needed + config.coverage_weight * cover.share - 1.0
        # a passage holding (nearly) all of the question's words counts on its words alone,
        # whatever its meaning's stand-out (a follow-up searched with the previous question)
        z = max(z, cover.share / config.min_coverage_with_dense - 1.0)
    confidence = _sigmoid(_SLOPE * z)
    # a question of stop words only asks nothing the site could answer
    relevant = bool(terms) and confidence >= config.min_confidence
    return {
        "relevant": relevant,
        "confidence": round(confidence, 3),
        "coverage": round(cover.share, 3),
        "stand_out": None if stand_out is None else round(stand_out, 3),
        "matched": list(cover.matched),
        "missing": list(cover.missing),
        "why": explain(relevant, confidence, cover, stand_out, config.min_confidence),
    }


def explain(
    relevant: bool,
    confidence: float,
    cover: Coverage,
    stand_out: float | None,
    threshold: float,
) -> str:
    """The debugger's line: which words matched, how similar the meaning, the verdict."""
    parts = []
    total = len(cover.matched) + len(cover.missing)
    if total:
        parts.append(f"{len(cover.matched)} of {total} question words found")
        if cover.matched:
            parts[-1] += f" ({', '.join(cover.matched)})"
        if cover.missing:
            parts.append(f"missing: {', '.join(cover.missing)}")
    else:
        parts.append("the question has no content words")
    if stand_out is not None:
        parts.append(f"meaning stands {stand_out:+.2f} above the background")
    verdict = "relevant" if relevant else "not relevant"
    return f"{verdict}: confidence {confidence:.2f} (needs {threshold:.2f}); " + "; ".join(parts)


def judge_chunks(
    question: str, chunks: Sequence[RetrievedChunk], config: AnswerConfig
) -> list[dict]:
    terms = content_terms(question)
    return [judge_chunk(question, chunk, config, terms) for chunk in chunks]
