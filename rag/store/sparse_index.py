"""An incremental inverted index of sparse vectors, scored as Qdrant scores them.

Qdrant's local mode (the embedded default's vector store) scores a sparse query against every
stored vector in a Python loop; a Qdrant server reads an inverted index. This is that index for
local mode, kept beside it by :class:`rag.store.local_client.LocalQdrantClient`: each term has
its postings (row, value) in growing arrays, so adding or removing a point costs its own terms,
never the collection's size, and a query reads only the postings of its own terms.

Scores are Qdrant's for a sparse vector with ``Modifier.IDF``: the dot product of the stored
values with the query values times ``ln((n - df + 0.5) / (df + 0.5) + 1)``, where ``n`` counts
the live points and ``df`` those holding the term (Qdrant's documented IDF). Points sharing no
term with the query are not hits, as in Qdrant.

A removed or replaced point leaves dead postings behind (its row is marked dead); once they
outnumber the live ones the arrays are rewritten without them, which keeps the work per change
constant on average.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Iterable, Sequence

import numpy as np

# below this many dead postings a rewrite is not worth it, whatever the share
_MIN_DEAD_FOR_COMPACTION = 50_000


class SparseIndex:
    """Point id -> sparse vector (+ a group such as the source id, for filtered queries)."""

    def __init__(self, idf: bool = True) -> None:
        self.idf = idf
        self._lock = threading.Lock()
        self._row_of: dict = {}  # point id -> row
        self._ids: list = []  # row -> point id, None once dead
        self._alive = bytearray()  # row -> 1 live, 0 dead
        self._group = array("i")  # row -> group code
        self._groups: dict[str, int] = {}  # group (source id) -> code
        self._row_terms = array("q")  # every row's term indices, row after row
        self._row_start = array("q", [0])  # row r's terms: _row_terms[start[r]:start[r + 1]]
        self._postings: dict[int, tuple[array, array]] = {}  # term -> (rows, values)
        self._df: dict[int, int] = {}  # term -> live rows holding it
        self._live_postings = 0
        self._dead_postings = 0
        self.compactions = 0

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def postings(self) -> int:
        """Postings held, dead ones included (what a change or a query may touch)."""
        return self._live_postings + self._dead_postings

    def upsert(
        self, point_id, indices: Sequence[int], values: Sequence[float], group: str = ""
    ) -> None:
        """Add a point, or replace its vector: costs the old and the new vector's terms."""
        with self._lock:
            self._remove(point_id)
            self._add(point_id, indices, values, group)

    def upsert_many(self, points: Iterable[tuple]) -> None:
        """(point id, indices, values, group) for each point, under one lock."""
        with self._lock:
            for point_id, indices, values, group in points:
                self._remove(point_id)
                self._add(point_id, indices, values, group)

    def load(self, points: Sequence[tuple]) -> None:
        """Fill an empty index with (point id, indices, values, group), in bulk: sorting
        all postings by term at once costs a fraction of adding them one by one."""
        with self._lock:
            if self._ids:
                raise ValueError("load() fills an empty index; use upsert_many()")
            unique: dict = {}
            for point in points:
                unique[point[0]] = point  # the last vector of an id wins, as in upsert
            points = list(unique.values())
            lengths = np.fromiter((len(p[1]) for p in points), dtype=np.int64, count=len(points))
            total = int(lengths.sum())
            terms = np.fromiter((t for p in points for t in p[1]), dtype=np.int64, count=total)
            values = np.fromiter((v for p in points for v in p[2]), dtype=np.float32, count=total)
            rows = np.repeat(np.arange(len(points), dtype=np.int32), lengths)
            self._ids = [p[0] for p in points]
            self._row_of = {point_id: row for row, point_id in enumerate(self._ids)}
            self._alive = bytearray(b"\x01" * len(points))
            codes = [self._groups.setdefault(str(p[3]), len(self._groups)) for p in points]
            self._group = array("i", codes)
            self._row_terms = array("q", terms.tobytes())
            self._row_start = array("q", [0])
            self._row_start.extend(int(n) for n in np.cumsum(lengths))
            order = np.argsort(terms, kind="stable")  # rows stay ascending within a term
            sorted_terms, sorted_rows, sorted_values = terms[order], rows[order], values[order]
            # a term starts wherever the sorted terms change; none at all when the points
            # have no terms (an empty collection, or only empty vectors)
            starts = np.flatnonzero(np.diff(sorted_terms, prepend=-1)) if total else []
            ends = np.r_[starts[1:], total] if total else []
            for start, end in zip(list(starts), list(ends), strict=True):
                term = int(sorted_terms[start])
                self._postings[term] = (
                    array("i", sorted_rows[start:end].tobytes()),
                    array("f", sorted_values[start:end].tobytes()),
                )
                self._df[term] = end - start
            self._live_postings = total

    def remove(self, point_ids: Iterable) -> None:
        """Remove points (unknown ids are ignored): costs the removed vectors' terms."""
        with self._lock:
            for point_id in point_ids:
                self._remove(point_id)
            if (
                self._dead_postings > _MIN_DEAD_FOR_COMPACTION
                and self._dead_postings > self._live_postings
            ):
                self._compact()

    def search(
        self,
        indices: Sequence[int],
        values: Sequence[float],
        limit: int,
        groups: Sequence[str] | None = None,
    ) -> list[tuple[object, float]]:
        """The ``limit`` best (point id, score), best first; ties by insertion order.
        ``groups``: only points of these groups (None: all)."""
        # Only the gathering of postings holds the lock; the scoring runs outside it, so
        # concurrent chats do not queue behind each other's arithmetic.
        with self._lock:
            live = len(self._row_of)
            if not live or limit <= 0:
                return []
            allowed = None
            if groups is not None:
                allowed = [self._groups[g] for g in set(map(str, groups)) if g in self._groups]
                if not allowed:
                    return []
            rows_parts, value_parts, weights = [], [], []
            for term, value in zip(indices, values, strict=True):
                posting = self._postings.get(int(term))
                if posting is None:
                    continue
                weight = float(value)
                if self.idf:
                    df = self._df.get(int(term), 0)
                    weight *= math.log((live - df + 0.5) / (df + 0.5) + 1.0)
                rows_parts.append(np.array(posting[0], dtype=np.int64))
                value_parts.append(np.array(posting[1], dtype=np.float64))
                weights.append(weight)
            if not rows_parts:
                return []
            rows = np.concatenate(rows_parts)
            keep = np.frombuffer(self._alive, dtype=np.uint8)[rows].astype(bool)
            if allowed is not None:
                keep &= np.isin(np.frombuffer(self._group, dtype=np.int32)[rows], allowed)
            ids = self._ids  # a compaction replaces the list, never rewrites it
        lengths = [len(part) for part in rows_parts]
        products = np.concatenate(value_parts) * np.repeat(weights, lengths)
        rows, products = rows[keep], products[keep]
        if not len(rows):
            return []
        hit_rows, inverse = np.unique(rows, return_inverse=True)
        scores = np.bincount(inverse, weights=products).astype(np.float32)
        if len(hit_rows) > limit:
            # the limit best, then sorted: best score first, earlier row first on a tie
            cut = np.argpartition(-scores, limit - 1)[:limit]
            hit_rows, scores = hit_rows[cut], scores[cut]
        order = np.lexsort((hit_rows, -scores))
        hits = [(ids[int(hit_rows[i])], float(scores[i])) for i in order]
        return [(point_id, score) for point_id, score in hits if point_id is not None]

    # -- inside the lock --------------------------------------------------------------------

    def _add(self, point_id, indices, values, group: str) -> None:
        if len(indices) != len(values):
            raise ValueError(f"{len(indices)} indices but {len(values)} values")
        row = len(self._ids)
        self._row_of[point_id] = row
        self._ids.append(point_id)
        self._alive.append(1)
        code = self._groups.setdefault(str(group), len(self._groups))
        self._group.append(code)
        postings, df = self._postings, self._df
        for term, value in zip(indices, values, strict=True):
            term = int(term)
            posting = postings.get(term)
            if posting is None:
                posting = postings[term] = (array("i"), array("f"))
            posting[0].append(row)
            posting[1].append(value)
            df[term] = df.get(term, 0) + 1
        self._row_terms.extend(int(term) for term in indices)
        self._row_start.append(len(self._row_terms))
        self._live_postings += len(indices)

    def _remove(self, point_id) -> None:
        row = self._row_of.pop(point_id, None)
        if row is None:
            return
        self._alive[row] = 0
        self._ids[row] = None
        df = self._df
        terms = self._row_terms[self._row_start[row] : self._row_start[row + 1]]
        for term in terms:
            left = df[term] - 1
            if left:
                df[term] = left
            else:
                del df[term]
        self._live_postings -= len(terms)
        self._dead_postings += len(terms)

    def _compact(self) -> None:
        """Rewrite every array without the dead rows (rows are renumbered)."""
        alive = np.frombuffer(self._alive, dtype=np.uint8).astype(bool)
        new_row = np.cumsum(alive, dtype=np.int64) - 1  # old row -> new row where alive
        starts = np.frombuffer(self._row_start, dtype=np.int64)
        terms = np.frombuffer(self._row_terms, dtype=np.int64)
        lengths = np.diff(starts)
        keep_terms = np.repeat(alive, lengths)
        postings: dict[int, tuple[array, array]] = {}
        for term, (rows, values) in self._postings.items():
            rows_np = np.frombuffer(rows, dtype=np.int32)
            live = alive[rows_np]
            if not live.any():
                continue
            kept_rows = array("i", new_row[rows_np[live]].astype(np.int32).tobytes())
            kept_values = array("f", np.frombuffer(values, dtype=np.float32)[live].tobytes())
            postings[term] = (kept_rows, kept_values)
        new_terms = array("q", terms[keep_terms].tobytes())
        new_starts = array("q", [0])
        new_starts.extend(int(n) for n in np.cumsum(lengths[alive]))
        self._postings = postings
        self._row_terms = new_terms
        self._row_start = new_starts
        self._ids = [point_id for point_id in self._ids if point_id is not None]
        self._row_of = {point_id: row for row, point_id in enumerate(self._ids)}
        self._group = array("i", np.frombuffer(self._group, dtype=np.int32)[alive].tobytes())
        self._alive = bytearray(b"\x01" * len(self._ids))
        self._dead_postings = 0
        self.compactions += 1
