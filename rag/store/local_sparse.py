"""Sparse scoring for Qdrant's local mode (the embedded stand-in) as an inverted index.

Local mode scores a sparse query by merging it with every stored vector in a Python loop:
tens of milliseconds per query for a few hundred chunks, all of it holding the GIL, so a
handful of concurrent chats queue behind each other. A Qdrant server scores from an inverted
index natively. This module gives local mode the same: the stored vectors are flattened once
into term-sorted numpy arrays, and a query gathers only the postings of its own terms.

It replaces one function, ``calculate_distance_sparse`` as ``LocalCollection.search`` uses it,
with one that returns the same array (same scores, ``-inf`` where a vector shares no term).
Everything else (filters, IDF, ordering, payloads) stays qdrant-client's own code. The index is
rebuilt whenever the stored vectors are not the very objects it was built from (local mode
replaces a vector object on every upsert and delete, it never changes one in place).
"""

from __future__ import annotations

import operator
import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import chain

import numpy as np

_MAX_INDEXES = 8  # one per collection and vector name in use; more only in tests
_lock = threading.Lock()
_indexes: OrderedDict[int, _Index] = OrderedDict()
_original = None  # qdrant-client's own function, for the cases the index does not serve


@dataclass(frozen=True)
class _Index:
    vectors: tuple  # the SparseVector objects it was built from (kept alive: ids stay unique)
    terms: np.ndarray  # every stored (term, point) pair's term, sorted
    points: np.ndarray  # ... its point position
    values: np.ndarray  # ... its value

    def built_from(self, vectors) -> bool:
        return len(self.vectors) == len(vectors) and all(map(operator.is_, self.vectors, vectors))


def build_index(vectors) -> _Index:
    lengths = np.fromiter((len(v.indices) for v in vectors), dtype=np.int64, count=len(vectors))
    total = int(lengths.sum())
    terms = np.fromiter(
        chain.from_iterable(v.indices for v in vectors), dtype=np.int64, count=total
    )
    values = np.fromiter(
        chain.from_iterable(v.values for v in vectors), dtype=np.float64, count=total
    )
    points = np.repeat(np.arange(len(vectors), dtype=np.int64), lengths)
    order = np.argsort(terms, kind="stable")  # stable: points stay ascending within a term
    return _Index(tuple(vectors), terms[order], points[order], values[order])


def _index_for(vectors) -> _Index:
    key = id(vectors[0])  # the first point's vector object; checked in full below
    with _lock:
        index = _indexes.get(key)
        if index is not None and index.built_from(vectors):
            _indexes.move_to_end(key)
            return index
    index = build_index(vectors)
    with _lock:
        _indexes[key] = index
        _indexes.move_to_end(key)
        while len(_indexes) > _MAX_INDEXES:
            _indexes.popitem(last=False)
    return index


def score(query, index: _Index, count: int) -> np.ndarray:
    """The dot product of ``query`` with each indexed vector (float32, like local mode)."""
    query_terms = np.asarray(query.indices, dtype=np.int64)
    query_values = np.asarray(query.values, dtype=np.float64)
    starts = np.searchsorted(index.terms, query_terms, side="left")
    ends = np.searchsorted(index.terms, query_terms, side="right")
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.full(count, -np.inf, dtype=np.float32)
    # positions of every posting of every query term, term by term (query terms ascending)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(total, dtype=np.int64)
    points = index.points[positions]
    products = index.values[positions] * np.repeat(query_values, lengths)
    sums = np.bincount(points, weights=products, minlength=count)
    overlap = np.bincount(points, minlength=count) > 0
    return np.where(overlap, sums, -np.inf).astype(np.float32)


def calculate_distance_sparse(query, vectors, empty_is_zero: bool = False) -> np.ndarray:
    """Drop-in for qdrant-client's local ``calculate_distance_sparse``.

    Only plain nearest search (``empty_is_zero`` false, the stored vectors) goes through the
    index; the recommendation and MMR helpers pass short candidate lists and keep the original.
    """
    if empty_is_zero or not vectors:
        return _original(query, vectors, empty_is_zero)
    return score(query, _index_for(vectors), len(vectors))


def install() -> None:
    """Make local mode's sparse search use the index (idempotent)."""
    global _original
    from qdrant_client.local import local_collection

    with _lock:
        if _original is None:
            _original = local_collection.calculate_distance_sparse
            local_collection.calculate_distance_sparse = calculate_distance_sparse
