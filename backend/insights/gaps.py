"""Content gaps: the questions the site did not answer well, grouped by similarity, and which
of them an editor's knowledge entry closes.

Questions are compared as sparse lexical vectors (the index's own German-aware encoder:
stems and character n-grams), so "Wann ist das Kinderturnen?" and "Kinderturnen Uhrzeit"
land in one group. Greedy grouping in order of frequency keeps it simple and stable.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

SIMILAR = 0.45


@dataclass
class Gap:
    question: str  # the most frequent wording
    count: int = 0
    examples: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # the visitors' thumbs-down comments
    # the knowledge entry whose question (or another way to ask it) is this gap's: closed
    entry_id: int | None = None
    entry_question: str = ""
    # such an entry that exists but is outside its validity now: the gap is open (again)
    idle_entry_id: int | None = None
    idle_entry_question: str = ""
    first_asked: datetime | None = None  # the earliest of its questions in the period
    write_url: str = ""  # the entry's add form, prefilled (set by the dashboard)

    @property
    def closed(self) -> bool:
        return self.entry_id is not None


def vector(encoder, text: str) -> dict[int, float]:
    sparse = encoder.encode_query(text)
    weights = dict(zip(sparse.indices, sparse.values, strict=True))
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {index: value / norm for index, value in weights.items()}


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    """Of two vectors of ``vector``: what ``Wordings.similar`` computes for many at once."""
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(index, 0.0) for index, value in a.items())


class Wordings:
    """Normalised sparse vectors in an inverted index (feature → the vectors with it): a
    wording is compared only with those that share a feature with it, which keeps a busy
    dashboard (thousands of questions, hundreds of entries) quick."""

    def __init__(self) -> None:
        self.postings: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.size = 0

    def add(self, weights: dict[int, float]) -> int:
        for feature, value in weights.items():
            self.postings[feature].append((self.size, value))
        self.size += 1
        return self.size - 1

    def similar(self, weights: dict[int, float]) -> list[int]:
        """The vectors as similar to ``weights`` as two wordings of one gap, in order added."""
        dots: dict[int, float] = defaultdict(float)
        for feature, value in weights.items():
            for index, other in self.postings.get(feature, ()):
                dots[index] += value * other
        return sorted(index for index, dot in dots.items() if dot >= SIMILAR)


def group_questions(
    questions: list[str],
    *,
    limit: int | None = 15,
    comments: dict[str, list[str]] | None = None,
    asked_at: dict[str, datetime] | None = None,
) -> list[Gap]:
    """``comments``: per question (as asked), what visitors wrote with a thumbs-down;
    ``asked_at``: per question, when it was first asked (each gap's ``first_asked``).
    Each question joins the first group whose first wording is similar enough."""
    from rag.embeddings.sparse import SparseEncoder

    encoder = SparseEncoder()
    counts = Counter(" ".join(q.split()) for q in questions if q.strip())
    by_text = {" ".join(q.split()): said for q, said in (comments or {}).items()}
    when = {" ".join(q.split()): at for q, at in (asked_at or {}).items()}
    groups: list[Gap] = []
    centres = Wordings()
    for text, count in counts.most_common():
        wording = vector(encoder, text)
        near = centres.similar(wording)
        if near:
            gap = groups[near[0]]
            gap.count += count
            if len(gap.examples) < 5:
                gap.examples.append(text)
        else:
            gap = Gap(question=text, count=count, examples=[text])
            groups.append(gap)
            centres.add(wording)
        gap.comments.extend(c for c in by_text.get(text, []) if c not in gap.comments)
        if text in when and (gap.first_asked is None or when[text] < gap.first_asked):
            gap.first_asked = when[text]
    gaps = sorted(groups, key=lambda gap: gap.count, reverse=True)
    return gaps[:limit]


def matching(gaps: list[Gap], entries: list[tuple[object, list[str]]]) -> list[list[object]]:
    """For each gap, the keys of the ``entries`` (key, wordings) one of whose wordings is as
    similar to one of the gap's as two wordings of one gap are, in the entries' order."""
    from rag.embeddings.sparse import SparseEncoder

    encoder = SparseEncoder()
    index = Wordings()
    owner: list[int] = []  # wording → the entry's position
    for position, (_, texts) in enumerate(entries):
        for text in texts:
            index.add(vector(encoder, text))
            owner.append(position)
    found = []
    for gap in gaps:
        hits = {
            owner[w]
            for text in gap.examples or [gap.question]
            for w in index.similar(vector(encoder, text))
        }
        found.append([entries[position][0] for position in sorted(hits)])
    return found


def close_gaps(gaps: list[Gap], entries: list[tuple[int, str, list[str]]]) -> list[Gap]:
    """Mark each gap closed by the first entry (id, question, other phrasings) that matches
    it (``matching``)."""
    questions = {entry_id: question for entry_id, question, _ in entries}
    keyed = [(entry_id, [question, *phrasings]) for entry_id, question, phrasings in entries]
    for gap, keys in zip(gaps, matching(gaps, keyed), strict=True):
        if keys:
            gap.entry_id, gap.entry_question = keys[0], questions[keys[0]]
    return gaps
