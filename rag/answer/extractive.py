"""An answer without an LLM: the best-matching sentences of the best passages, cited.

It never invents anything, so it is the honest fallback when no API key is configured. A
passage counts when one of its sentences shares a word (or, for German compounds, a word
start) with the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.texts import EXTRACTIVE_INTRO, pick
from rag.models import RetrievedChunk

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9\"„(])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# words that carry no meaning for matching; short words are ignored anyway
_IGNORED = frozenset(
    """
    der die das den dem des ein eine ist sind war wie was wer und für mit von bei aus auf
    zum zur ich wir sie ihr man the and for are was how who can you our its has not
    aber alle auch dass dein deine diese dieser dieses eine einem einen einer eines haben
    habe kann können muss müssen nicht noch oder sein sind über unter welche welcher welches
    wann warum wieviel werden wird about does have what when where which will with would
    your there their this that from could should gibt
    """.split()
)
_PREFIX = 5


@dataclass(frozen=True)
class ExtractiveAnswer:
    text: str
    # 1-based numbers of the passages quoted, as cited in ``text``
    used: tuple[int, ...]


def _terms(text: str) -> set[str]:
    words = (word.lower() for word in _WORD.findall(text))
    return {word for word in words if len(word) > 2 and word not in _IGNORED}


def _matches(question_terms: set[str], sentence: str) -> int:
    """How many question terms the sentence contains, by whole word or common word start."""
    words = _terms(sentence)
    prefixes = {word[:_PREFIX] for word in words if len(word) >= _PREFIX}
    hits = 0
    for term in question_terms:
        if term in words or (len(term) >= _PREFIX and term[:_PREFIX] in prefixes):
            hits += 1
    return hits


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [part.strip() for part in _SENTENCE_END.split(flat) if part.strip()]


def extractive_answer(
    question: str,
    chunks: Sequence[RetrievedChunk],
    language: str,
    *,
    max_passages: int = 3,
    max_sentences_per_passage: int = 2,
) -> ExtractiveAnswer | None:
    """Quote the matching sentences; None when no passage shares a word with the question."""
    question_terms = _terms(question)
    lines: list[str] = []
    used: list[int] = []
    for n, chunk in enumerate(chunks, start=1):
        if len(used) >= max_passages:
            break
        scored = [(_matches(question_terms, s), i, s) for i, s in enumerate(_sentences(chunk.text))]
        best = sorted(
            (item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1])
        )
        if not best:
            continue
        # keep the page's own order, so two quoted sentences still read naturally
        chosen = sorted(best[:max_sentences_per_passage], key=lambda item: item[1])
        lines.append(f"- {' '.join(sentence for _, _, sentence in chosen)} [{n}]")
        used.append(n)
    if not used:
        return None
    text = pick(EXTRACTIVE_INTRO, language) + "\n" + "\n".join(lines)
    return ExtractiveAnswer(text=text, used=tuple(used))
