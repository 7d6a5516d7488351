"""Sparse scoring for Qdrant's local mode (the embedded stand-in) as an inverted index.

Local mode scores a sparse query by merging it with every stored vector in a Python loop:
tens of milliseconds per query for a few hundred chunks, all of it holding the GIL, so a
handful of concurrent chats queue behind each other. A Qdrant server scores from an inverted
index natively. This module gives local mode the same: the stored vectors are flattened once
into term-sorted numpy arrays, and a query gathers only the postings of its own terms.

It replaces one function, ``calculate_distance_sparse`` as ``LocalCollection.search`` uses it,
with one that returns the same array (same scores, ``-inf`` where a vector shares no term).
Everything else (filters, IDF, ordering, payloads) stays qdrant-client's own code.

Local mode replaces a vector object on every upsert and delete and never changes one in place,
so an index knows which points changed since it was built by object identity: up to
``_MAX_DELTA`` of them are scored with qdrant-client's own function on top of the index, more
make a new index that replaces the old one (one per collection, a few collections at most).
"""

from __future__ import annotations

import operator
import threading
from dataclasses import dataclass
from itertools import chain

import numpy as np

_MAX_INDEXES = 4  # one per collection in use (tests open several)
# Up to this many changed or added points are scored one by one on top of an index; more, and
# the index is rebuilt. While a crawl is being indexed, points change between two questions:
# this keeps a question from paying a whole rebuild for a few new pages.
_MAX_DELTA = 512
_lock = threading.Lock()
_indexes: list[_Index] = []  # most recently used last
_original = None  # qdrant-client's own function, for the cases the index does not serve


@dataclass(frozen=True, eq=False)  # compared by identity
class _Index:
    vectors: tuple  # the SparseVector objects it was built from (kept alive: ids stay unique)
    terms: np.ndarray  # every stored (term, point) pair's term, sorted
    points: np.ndarray  # ... its point position
    values: np.ndarray  # ... its value

    def changed(self, vectors) -> np.ndarray | None:
        """Positions of ``vectors`` that are not the objects this index was built from (new
        positions included); None when it cannot be a version of them (fewer points)."""
        built = len(self.vectors)
        if len(vectors) < built:
            return None
        same = np.fromiter(map(operator.is_, self.vectors, vectors), dtype=bool, count=built)
        return np.concatenate(
            [np.flatnonzero(~same), np.arange(built, len(vectors), dtype=np.int64)]
        )


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


def _index_for(vectors) -> tuple[_Index, np.ndarray]:
    """An index for ``vectors`` and the positions it does not know (score those directly).

    The closest cached index is used if few points changed since it was built; otherwise a
    new one replaces it (or, for vectors of another collection, joins the cache)."""
    with _lock:
        cached = list(reversed(_indexes))
    closest, closest_changed = None, None
    for index in cached:
        changed = index.changed(vectors)
        if changed is None or 2 * len(changed) >= len(vectors):
            continue  # mostly other objects: another collection's index (or a re-index)
        if len(changed) <= _MAX_DELTA:
            with _lock:
                if index in _indexes:
                    _indexes.remove(index)
                _indexes.append(index)
            return index, changed
        if closest_changed is None or len(changed) < closest_changed:
            closest, closest_changed = index, len(changed)
    index = build_index(vectors)
    with _lock:
        if closest is not None and closest in _indexes:
            _indexes.remove(closest)  # an older version of the same collection
        _indexes.append(index)
        del _indexes[:-_MAX_INDEXES]
    return index, np.array([], dtype=np.int64)


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
    index, changed = _index_for(vectors)
    scores = score(query, index, len(vectors))
    if len(changed):
        scores[changed] = _original(query, [vectors[i] for i in changed])
    return scores


def install() -> None:
    """Make local mode's sparse search use the index (idempotent)."""
    global _original
    from qdrant_client.local import local_collection

    with _lock:
        if _original is None:
            _original = local_collection.calculate_distance_sparse
            local_collection.calculate_distance_sparse = calculate_distance_sparse
