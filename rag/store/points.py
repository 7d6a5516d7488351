"""Writing a document's chunks: deterministic ids, so a re-run overwrites instead of adding.

Every function here raises Qdrant's failures as :mod:`rag.errors` (see :mod:`rag.store.errors`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from rag.models import Chunk, ChunkVectors
from rag.store.collections import DENSE, SPARSE
from rag.store.errors import vector_store_errors

logger = logging.getLogger(__name__)

# fixed forever: changing it would orphan every point already stored
POINT_NAMESPACE = uuid.UUID("6f1c1a52-3c1e-5b7a-9a57-1c0f5e0e2b41")


def point_id(document_id: str, chunk_index: int) -> str:
    """uuid5 of (document, chunk index): the same chunk slot always gets the same id."""
    document_namespace = uuid.uuid5(POINT_NAMESPACE, str(document_id))
    return str(uuid.uuid5(document_namespace, str(chunk_index)))


def _document_filter(document_id: str, from_chunk: int | None = None):
    from qdrant_client import models

    must = [
        models.FieldCondition(key="document_id", match=models.MatchValue(value=str(document_id)))
    ]
    if from_chunk is not None:
        must.append(models.FieldCondition(key="chunk_index", range=models.Range(gte=from_chunk)))
    return models.Filter(must=must)


@vector_store_errors()
def upsert_document_chunks(
    client,
    collection: str,
    document_id: str,
    chunks: Sequence[Chunk],
    vectors: Sequence[ChunkVectors],
    *,
    source_id: str = "",
    extra_payload: dict | None = None,
    batch_size: int = 256,
    stale_slots: int | None = None,
) -> int:
    """Write all chunks of one document, then delete its chunks numbered len(chunks) and up
    (left from a longer earlier version). Running it twice leaves the same points.

    ``stale_slots``: how many chunk slots the document may occupy from earlier writes (the
    caller records it before each write). The leftovers are then deleted by their ids, which
    costs the same however large the collection is. Without it they are found by a filter,
    which Qdrant's local mode answers by scanning every point of the collection."""
    from qdrant_client import models

    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    points = []
    for index, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
        named: dict = {
            SPARSE: models.SparseVector(
                indices=list(vector.sparse.indices), values=list(vector.sparse.values)
            )
        }
        if vector.dense is not None:
            named[DENSE] = list(vector.dense)
        payload = {
            **(extra_payload or {}),
            "document_id": str(document_id),
            "source_id": str(source_id),
            "chunk_index": index,
            "url": chunk.url,
            "title": chunk.title,
            "heading_path": list(chunk.heading_path),
            "text": chunk.text,
            "language": chunk.language,
            "page": chunk.page,
            "page_end": chunk.page_end,
        }
        points.append(
            models.PointStruct(id=point_id(document_id, index), vector=named, payload=payload)
        )
    for start in range(0, len(points), batch_size):
        client.upsert(collection, points=points[start : start + batch_size], wait=True)
    if stale_slots is None:
        client.delete(
            collection,
            points_selector=models.FilterSelector(
                filter=_document_filter(document_id, len(chunks))
            ),
            wait=True,
        )
    else:
        delete_chunk_slots(client, collection, document_id, range(len(chunks), stale_slots))
    logger.debug("document %s: %s chunks in %s", document_id, len(chunks), collection)
    return len(points)


@vector_store_errors()
def delete_chunk_slots(client, collection: str, document_id: str, slots: range) -> None:
    """Delete a document's chunks by position (ids that hold no point are ignored)."""
    from qdrant_client import models

    if not len(slots):
        return
    ids = [point_id(document_id, index) for index in slots]
    client.delete(collection, points_selector=models.PointIdsList(points=ids), wait=True)


@vector_store_errors()
def delete_document(client, collection: str, document_id: str, slots: int | None = None) -> None:
    """Remove every chunk of a document (page gone, or now failing to parse). With ``slots``
    (the chunk slots it may occupy) by id; without, by a filter (a scan in local mode)."""
    from qdrant_client import models

    if slots is not None:
        delete_chunk_slots(client, collection, document_id, range(slots))
        return
    client.delete(
        collection,
        points_selector=models.FilterSelector(filter=_document_filter(document_id)),
        wait=True,
    )


@vector_store_errors()
def count_document_chunks(client, collection: str, document_id: str) -> int:
    return client.count(collection, count_filter=_document_filter(document_id), exact=True).count


@vector_store_errors()
def document_chunks(
    client, collection: str, document_id: str, limit: int = 10_000, slots: int | None = None
) -> list[dict]:
    """The stored payloads of a document's chunks in chunk order (what retrieval returns).
    With ``slots`` (the chunk slots it may occupy) they are fetched by id, else by a filter."""
    if slots is not None:
        ids = [point_id(document_id, index) for index in range(min(slots, limit))]
        records = client.retrieve(collection, ids, with_payload=True) if ids else []
        payloads = [record.payload or {} for record in records]
        return sorted(payloads, key=lambda payload: payload.get("chunk_index", 0))
    payloads: list[dict] = []
    offset = None
    while len(payloads) < limit:
        points, offset = client.scroll(
            collection,
            scroll_filter=_document_filter(document_id),
            limit=min(256, limit - len(payloads)),
            offset=offset,
            with_payload=True,
            with_vectors=False,
        )
        payloads.extend(point.payload or {} for point in points)
        if offset is None:
            break
    return sorted(payloads, key=lambda payload: payload.get("chunk_index", 0))


@vector_store_errors()
def delete_source(client, collection: str, source_id: str) -> None:
    """Remove every chunk of a source (the source was deleted)."""
    from qdrant_client import models

    match = models.MatchValue(value=str(source_id))
    selector = models.Filter(must=[models.FieldCondition(key="source_id", match=match)])
    client.delete(collection, points_selector=models.FilterSelector(filter=selector), wait=True)


@vector_store_errors()
def delete_documents(client, collection: str, document_ids: Sequence[str]) -> None:
    """Remove every chunk of several documents at once."""
    from qdrant_client import models

    if not document_ids:
        return
    match = models.MatchAny(any=[str(d) for d in document_ids])
    selector = models.Filter(must=[models.FieldCondition(key="document_id", match=match)])
    client.delete(collection, points_selector=models.FilterSelector(filter=selector), wait=True)


@vector_store_errors()
def chunk_owners(client, collection: str, batch_size: int = 1000) -> dict[str, str]:
    """Every document in the collection and its source: {document_id: source_id}. Reads only
    those two payload fields, page by page."""
    owners: dict[str, str] = {}
    offset = None
    while True:
        points, offset = client.scroll(
            collection,
            limit=batch_size,
            offset=offset,
            with_payload=["document_id", "source_id"],
            with_vectors=False,
        )
        for point in points:
            payload = point.payload or {}
            owners[str(payload.get("document_id", ""))] = str(payload.get("source_id", ""))
        if offset is None:
            return owners
