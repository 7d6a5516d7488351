"""Content gaps: the questions the site could not answer, grouped by similarity.

Questions are compared as sparse lexical vectors (the index's own German-aware encoder:
stems and character n-grams), so "Wann ist das Kinderturnen?" and "Kinderturnen Uhrzeit"
land in one group. Greedy grouping in order of frequency keeps it simple and stable.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

SIMILAR = 0.45


@dataclass
class Gap:
    question: str  # the most frequent wording
    count: int = 0
    examples: list[str] = field(default_factory=list)


def _vector(encoder, text: str) -> dict[int, float]:
    sparse = encoder.encode_query(text)
    weights = dict(zip(sparse.indices, sparse.values, strict=True))
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {index: value / norm for index, value in weights.items()}


def _cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(index, 0.0) for index, value in a.items())


def group_questions(questions: list[str], *, limit: int = 15) -> list[Gap]:
    from rag.embeddings.sparse import SparseEncoder

    encoder = SparseEncoder()
    counts = Counter(" ".join(q.split()) for q in questions if q.strip())
    groups: list[tuple[Gap, dict[int, float]]] = []
    for text, count in counts.most_common():
        vector = _vector(encoder, text)
        for gap, centre in groups:
            if _cosine(vector, centre) >= SIMILAR:
                gap.count += count
                if len(gap.examples) < 5:
                    gap.examples.append(text)
                break
        else:
            groups.append((Gap(question=text, count=count, examples=[text]), vector))
    gaps = sorted((gap for gap, _ in groups), key=lambda gap: gap.count, reverse=True)
    return gaps[:limit]
