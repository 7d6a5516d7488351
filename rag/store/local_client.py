"""Qdrant's local mode with an inverted index for sparse search and a file of Lotse's own,
through public APIs only.

Local mode (the embedded default) answers a sparse query by scoring every stored vector in a
Python loop: about a millisecond per hundred chunks, all of it holding the GIL. A Qdrant server
reads an inverted index. :class:`LocalQdrantClient` is a ``QdrantClient`` that keeps one
(:class:`rag.store.sparse_index.SparseIndex`) beside local mode for the ``sparse`` vector of
each collection: every write through the client is applied to the store first and then to the
index, and the sparse queries Lotse makes are answered from the index, their payloads fetched
by id. Any other query shape (prefetch, other filters, offsets, other vector names) goes to
local mode unchanged, and a write the index cannot follow point by point makes it rebuild
from the store on the next sparse query.

The index is built on the first sparse query of a collection (the chat's warm-up at start),
from one scroll of the store; from then on each write costs its own points, whatever the size
of the collection.

With a folder, local mode itself runs in memory and the points live in
:class:`rag.store.local_journal.PointJournal` (one transaction per write instead of one commit
per point; read back on opening). A folder in local mode's own format (written by Lotse before
this file existed) is imported once.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Sequence

from qdrant_client import QdrantClient, models
from qdrant_client.http.models import QueryResponse  # QueryResponse is fastembed's

from rag.store.collections import SPARSE
from rag.store.local_journal import (
    PointJournal,
    import_local_mode_folder,
    plain_vectors,
    point_from_row,
    point_key,
    point_row,
)
from rag.store.sparse_index import SparseIndex

logger = logging.getLogger(__name__)

_GROUP_FIELD = "source_id"  # the one payload field Lotse's sparse queries filter on

# Local mode warns above 20,000 points; docs/scaling.md says what the embedded default carries
warnings.filterwarnings("ignore", "Local mode is not recommended", UserWarning)


def _groups_of(query_filter) -> tuple[bool, list[str] | None]:
    """(served, groups): served is False for a filter the index cannot apply."""
    if query_filter is None:
        return True, None
    if not isinstance(query_filter, models.Filter):
        return False, None
    if query_filter.should or query_filter.must_not or query_filter.min_should:
        return False, None
    must = query_filter.must
    conditions = must if isinstance(must, list) else [must] if must is not None else []
    if len(conditions) != 1:
        return False, None
    (condition,) = conditions
    if not isinstance(condition, models.FieldCondition) or condition.key != _GROUP_FIELD:
        return False, None
    if condition.range or condition.geo_bounding_box or condition.geo_radius:
        return False, None
    match = condition.match
    if isinstance(match, models.MatchValue):
        return True, [str(match.value)]
    if isinstance(match, models.MatchAny):
        return True, [str(value) for value in match.any]
    return False, None


class LocalQdrantClient(QdrantClient):
    """Local mode in memory (``LocalQdrantClient()``) or kept in a folder (``path=...``),
    whose sparse search reads an index."""

    def __init__(self, location: str = ":memory:", *, path: str | None = None) -> None:
        if location != ":memory:":
            raise ValueError("LocalQdrantClient: ':memory:' or path=FOLDER")
        super().__init__(":memory:")
        self._sparse_indexes: dict[str, SparseIndex] = {}
        # writes and index builds one at a time, so the index follows the store's order
        self._write_lock = threading.RLock()
        self._journal: PointJournal | None = None
        if path is not None:
            self._journal = PointJournal(path)
            try:
                if self._journal.created:
                    import_local_mode_folder(path, self._journal)
                self._load()
            except BaseException:
                self._journal.close()
                raise

    def close(self, *args, **kwargs) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        super().close(*args, **kwargs)

    def _load(self) -> None:
        """Every collection and point of the file into local mode (in memory), and the
        sparse vectors into the collection's index on the way."""
        for name, config in self._journal.collections():
            QdrantClient.create_collection(self, name, **config)
            params = (config.get("sparse_vectors_config") or {}).get(SPARSE)
            sparse = []
            for batch in self._journal.points(name):
                QdrantClient.upsert(self, name, points=[point_from_row(*row) for row in batch])
                for point_id, vectors, payload in batch:
                    vector = vectors.get(SPARSE)
                    if vector is not None:
                        group = str((payload or {}).get(_GROUP_FIELD, ""))
                        sparse.append((point_id, vector[1], vector[2], group))
            if params is not None:
                index = SparseIndex(idf=params.modifier == models.Modifier.IDF)
                index.load(sparse)
                self._sparse_indexes[name] = index
            logger.info("vector store: %s points of %s read", self.count(name).count, name)

    # -- reads ------------------------------------------------------------------------------

    def query_points(self, collection_name: str, query=None, **kwargs) -> QueryResponse:
        if self._served(query, kwargs):
            return QueryResponse(points=self._sparse_search(collection_name, query, kwargs))
        return super().query_points(collection_name, query, **kwargs)

    def query_batch_points(
        self, collection_name: str, requests: Sequence[models.QueryRequest], **kwargs
    ) -> list[QueryResponse]:
        served = {
            n: self._request_kwargs(request)
            for n, request in enumerate(requests)
            if self._request_kwargs(request) is not None
        }
        rest = [request for n, request in enumerate(requests) if n not in served]
        answered = iter(super().query_batch_points(collection_name, rest, **kwargs) if rest else [])
        responses = []
        for n, request in enumerate(requests):
            if n in served:
                points = self._sparse_search(collection_name, request.query, served[n])
                responses.append(QueryResponse(points=points))
            else:
                responses.append(next(answered))
        return responses

    def sparse_index(self, collection_name: str) -> SparseIndex:
        """The collection's index, built from the store when it has none yet."""
        index = self._sparse_indexes.get(collection_name)
        if index is not None:
            return index
        with self._write_lock:
            index = self._sparse_indexes.get(collection_name)
            if index is None:
                index = self._build(collection_name)
                self._sparse_indexes[collection_name] = index
            return index

    def _request_kwargs(self, request) -> dict | None:
        if not isinstance(request, models.QueryRequest):
            return None
        kwargs = {
            "using": request.using,
            "prefetch": request.prefetch,
            "query_filter": request.filter,
            "search_params": request.params,
            "limit": request.limit if request.limit is not None else 10,
            "offset": request.offset,
            "with_payload": request.with_payload if request.with_payload is not None else False,
            "with_vectors": request.with_vector if request.with_vector is not None else False,
            "score_threshold": request.score_threshold,
            "lookup_from": request.lookup_from,
        }
        return kwargs if self._served(request.query, kwargs) else None

    def _served(self, query, kwargs: dict) -> bool:
        """Whether the index answers this query exactly as local mode would."""
        return (
            isinstance(query, models.SparseVector)
            and kwargs.get("using") == SPARSE
            and not kwargs.get("prefetch")
            and not kwargs.get("search_params")
            and not kwargs.get("offset")
            and kwargs.get("score_threshold") is None
            and kwargs.get("lookup_from") is None
            and not kwargs.get("with_vectors")
            and _groups_of(kwargs.get("query_filter"))[0]
        )

    def _sparse_search(self, collection_name: str, query, kwargs: dict) -> list:
        if not self.collection_exists(collection_name):
            return super().query_points(collection_name, query, **kwargs).points  # its error
        if len(set(query.indices)) != len(query.indices):
            raise ValueError("a sparse vector's indices must be unique")
        _, groups = _groups_of(kwargs.get("query_filter"))
        hits = self.sparse_index(collection_name).search(
            query.indices, query.values, int(kwargs.get("limit", 10)), groups
        )
        if not hits:
            return []
        with_payload = kwargs.get("with_payload", True)
        records = {}
        if with_payload:
            found = self.retrieve(
                collection_name, [point_id for point_id, _ in hits], with_payload=with_payload
            )
            records = {record.id: record.payload for record in found}
        return [
            models.ScoredPoint(
                id=point_id, version=0, score=score, payload=records.get(point_id) or None
            )
            for point_id, score in hits
        ]

    def _build(self, collection_name: str) -> SparseIndex:
        info = self.get_collection(collection_name)
        params = (info.config.params.sparse_vectors or {}).get(SPARSE)
        index = SparseIndex(idf=bool(params and params.modifier == models.Modifier.IDF))
        records, _ = super().scroll(
            collection_name,
            limit=max(1, info.points_count or 0) + 1,
            with_payload=[_GROUP_FIELD],
            with_vectors=[SPARSE],
        )
        index.load(
            [
                (
                    record.id,
                    vector.indices,
                    vector.values,
                    str((record.payload or {}).get(_GROUP_FIELD, "")),
                )
                for record in records
                if (vector := (record.vector or {}).get(SPARSE)) is not None
            ]
        )
        logger.info("sparse index of %s: %s points", collection_name, len(index))
        return index

    # -- writes -----------------------------------------------------------------------------

    def upsert(self, collection_name: str, points, *args, **kwargs):
        with self._write_lock:
            result = super().upsert(collection_name, points, *args, **kwargs)
            if (
                not isinstance(points, list)
                or args
                or kwargs.get("update_filter") is not None
                or kwargs.get("update_mode") is not None
            ):
                self._forget(collection_name)  # conditional or batch writes: rebuild
                return result
            if self._journal is not None:
                self._journal.put(collection_name, map(point_row, points))
            index = self._sparse_indexes.get(collection_name)
            if index is None:
                return result
            gone, changed = [], []
            for point in points:
                vector = point.vector.get(SPARSE) if isinstance(point.vector, dict) else None
                if vector is None:
                    gone.append(point_key(point.id))
                else:
                    group = str((point.payload or {}).get(_GROUP_FIELD, ""))
                    changed.append((point_key(point.id), vector.indices, vector.values, group))
            index.remove(gone)
            index.upsert_many(changed)
            return result

    def delete(self, collection_name: str, points_selector, *args, **kwargs):
        with self._write_lock:
            index = self._sparse_indexes.get(collection_name)
            ids = None
            if isinstance(points_selector, models.PointIdsList):
                ids = points_selector.points
            elif isinstance(points_selector, list):
                ids = points_selector
            elif index is not None or self._journal is not None:
                # a filter: find its points first (local mode scans for them either way)
                query_filter = (
                    points_selector.filter
                    if isinstance(points_selector, models.FilterSelector)
                    else points_selector
                )
                records, _ = super().scroll(
                    collection_name,
                    scroll_filter=query_filter,
                    limit=max(1, self.count(collection_name).count) + 1,
                    with_payload=False,
                )
                ids = [record.id for record in records]
            result = super().delete(collection_name, points_selector, *args, **kwargs)
            keys = [point_key(point_id) for point_id in ids or ()]
            if self._journal is not None:
                self._journal.remove(collection_name, keys)
            if index is not None:
                index.remove(keys)
            return result

    def create_collection(
        self, collection_name: str, vectors_config=None, sparse_vectors_config=None, **kwargs
    ) -> bool:
        with self._write_lock:
            created = super().create_collection(
                collection_name,
                vectors_config=vectors_config,
                sparse_vectors_config=sparse_vectors_config,
                **kwargs,
            )
            self._sparse_indexes.pop(collection_name, None)
            if self._journal is not None:
                self._journal.drop_collection(collection_name)
                self._journal.save_collection(
                    collection_name,
                    {
                        "vectors_config": vectors_config,
                        "sparse_vectors_config": sparse_vectors_config,
                    },
                )
            return created

    def recreate_collection(self, collection_name: str, *args, **kwargs) -> bool:
        with self._write_lock:
            if self.collection_exists(collection_name):
                self.delete_collection(collection_name)
            return self.create_collection(collection_name, *args, **kwargs)

    def delete_collection(self, collection_name: str, *args, **kwargs) -> bool:
        with self._write_lock:
            deleted = super().delete_collection(collection_name, *args, **kwargs)
            self._sparse_indexes.pop(collection_name, None)
            if self._journal is not None:
                self._journal.drop_collection(collection_name)
            return deleted

    def _forget(self, collection_name: str) -> None:
        """After a write the index and the file do not follow point by point: the index is
        rebuilt on the next sparse query, the file gets the collection's points anew."""
        with self._write_lock:
            self._sparse_indexes.pop(collection_name, None)
            if self._journal is not None and self.collection_exists(collection_name):
                records, _ = QdrantClient.scroll(
                    self,
                    collection_name,
                    limit=max(1, self.count(collection_name).count) + 1,
                    with_payload=True,
                    with_vectors=True,
                )
                self._journal.replace_all(
                    collection_name,
                    ((r.id, plain_vectors(r.vector), r.payload or {}) for r in records),
                )


def _forgetting(name: str):
    """A write the index does not follow point by point: rebuild it on the next query."""
    method = getattr(QdrantClient, name)

    def write(self, collection_name: str, *args, **kwargs):
        with self._write_lock:
            try:
                return method(self, collection_name, *args, **kwargs)
            finally:
                self._forget(collection_name)

    write.__name__ = name
    write.__doc__ = method.__doc__
    return write


for _name in (
    "update_vectors",
    "delete_vectors",
    "set_payload",
    "overwrite_payload",
    "delete_payload",
    "clear_payload",
    "batch_update_points",
    "upload_points",
    "upload_collection",
):
    setattr(LocalQdrantClient, _name, _forgetting(_name))
