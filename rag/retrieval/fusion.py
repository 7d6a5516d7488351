"""Fusing a sparse and a dense ranking into one: pure functions over (point id, score) lists.

Both methods are here because the benchmark (tests/bench/bench_retrieval.py) compares them;
:class:`rag.config.RetrievalConfig` picks one. Plain reciprocal rank fusion only sees ranks, so
a retriever that is confidently right (a large score gap) and one that is guessing count the
same, and the fused list can be worse than the better retriever alone. The convex combination
keeps the score gaps: each side's scores are divided by that side's best score for the query,
so both lie in (-inf, 1] with 1 for the top hit, then mixed with fixed weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

Ranking = Sequence[tuple[Hashable, float]]  # best first


def _normalised(ranking: Ranking, method: str) -> dict[Hashable, float]:
    if not ranking:
        return {}
    top = max(score for _, score in ranking)
    if method == "minmax":
        bottom = min(score for _, score in ranking)
        spread = top - bottom
        if spread <= 0:
            return {key: 1.0 for key, _ in ranking}
        return {key: (score - bottom) / spread for key, score in ranking}
    if top <= 0:
        # nothing scored above zero: no side-internal contrast to keep, all count as equal
        return {key: 0.0 for key, _ in ranking}
    return {key: max(score, 0.0) / top for key, score in ranking}


def convex_fusion(
    sparse: Ranking, dense: Ranking, dense_weight: float, normalise: str = "max"
) -> list[tuple[Hashable, float]]:
    """``dense_weight * dense/dense_top + (1 - dense_weight) * sparse/sparse_top``; a point
    missing from one side's candidates gets 0 from that side. Best first, ties by key order of
    first appearance (sparse, then dense) so the result is deterministic."""
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be within [0, 1], not {dense_weight}")
    sparse_norm = _normalised(sparse, normalise)
    dense_norm = _normalised(dense, normalise)
    keys = list(dict.fromkeys([key for key, _ in sparse] + [key for key, _ in dense]))
    fused = [
        (
            key,
            dense_weight * dense_norm.get(key, 0.0)
            + (1.0 - dense_weight) * sparse_norm.get(key, 0.0),
        )
        for key in keys
    ]
    return sorted(fused, key=lambda item: -item[1])


def rrf_fusion(
    sparse: Ranking, dense: Ranking, dense_weight: float = 0.5, k: int = 60
) -> list[tuple[Hashable, float]]:
    """Weighted reciprocal rank fusion: ``sum(weight / (k + rank))`` with ranks from 1; at
    ``dense_weight`` 0.5 it orders exactly like plain RRF (Qdrant's ``Fusion.RRF``)."""
    weights = ((sparse, 1.0 - dense_weight), (dense, dense_weight))
    scores: dict[Hashable, float] = {}
    for ranking, weight in weights:
        for rank, (key, _) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def merge_rankings(rankings: Sequence[Sequence], key, k: int, rrf_k: int = 60) -> list:
    """Several rankings of the same kind of items (the question's and its expansions') as
    one, by reciprocal rank fusion: an item found high by several queries rises. Of an item
    found more than once, the earliest ranking's copy is kept (the question's own scores)."""
    scores: dict[Hashable, float] = {}
    first: dict[Hashable, object] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            name = key(item)
            scores[name] = scores.get(name, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(name, item)
    ordered = sorted(scores, key=lambda name: -scores[name])  # stable: ties keep first seen
    return [first[name] for name in ordered[:k]]
