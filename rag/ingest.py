"""One document from raw bytes to indexed chunks: parse -> chunk -> embed -> upsert.

The Celery task calls :func:`ingest` and nothing else. It is idempotent: point ids are
uuid5(document, chunk index), so a re-run (a retried or duplicated task) overwrites the same
points and deletes the same leftovers; running it twice leaves what running it once did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rag.chunking import chunk_document
from rag.config import RagConfig
from rag.embeddings.base import DenseEmbedder
from rag.embeddings.sparse import SparseEncoder
from rag.models import ChunkVectors, ParsedDocument
from rag.parsing import parse
from rag.store.collections import collection_name, ensure_collection
from rag.store.points import upsert_document_chunks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    chunk_count: int
    title: str
    language: str
    collection: str = ""
    page_count: int | None = None
    ocr_pages: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    parser_version: str = ""
    seconds: float = 0.0


def collection_for(config: RagConfig) -> str:
    """The collection this configuration writes to and searches in."""
    return collection_name(config.vector_store.collection_prefix, config.dense, config.sparse)


def ingest(
    body: bytes,
    content_type: str,
    url: str,
    document_id: str,
    source_id: str,
    config: RagConfig,
    client,
    *,
    encoding: str | None = None,
    dense_embedder: DenseEmbedder | None = None,
    title_hint: str = "",
    stale_slots: int | None = None,
    before_write: Callable[[int], None] | None = None,
    link_sections: bool = False,
) -> IngestResult:
    """Index one page or PDF. Raises :class:`rag.errors.PermanentError` (with ``.reason``) for
    input that will never index - mark the Document failed; the old chunks stay until the
    caller deletes them - and a :class:`rag.errors.TransientError` (Qdrant or the embedding
    service away) for transient trouble - retry. ``title_hint``: see :func:`rag.parsing.parse`.

    ``stale_slots``: the chunk slots the document may occupy from earlier writes; its
    leftovers are then deleted by id (see :func:`upsert_document_chunks`). ``before_write``
    is called with the new chunk count before anything is written, so the caller can raise
    its record of the slots first: a write that dies half-way leaves nothing it cannot find.
    ``link_sections``: chunks cite their section's anchor (see :func:`chunk_document`)."""
    started = time.monotonic()
    if dense_embedder is not None and config.dense.model and dense_embedder.dim != config.dense.dim:
        raise ValueError(f"embedder dim {dense_embedder.dim} != configured {config.dense.dim}")
    document = parse(
        body, content_type, url, config.parsing, encoding=encoding, title_hint=title_hint
    )
    return index_parsed(
        document,
        document_id,
        source_id,
        config,
        client,
        dense_embedder=dense_embedder,
        stale_slots=stale_slots,
        before_write=before_write,
        started=started,
        link_sections=link_sections,
    )


def index_parsed(
    document: ParsedDocument,
    document_id: str,
    source_id: str,
    config: RagConfig,
    client,
    *,
    dense_embedder: DenseEmbedder | None = None,
    stale_slots: int | None = None,
    before_write: Callable[[int], None] | None = None,
    phrasings: Sequence[str] = (),
    extra_payload: dict | None = None,
    started: float | None = None,
    link_sections: bool = False,
) -> IngestResult:
    """Chunk, embed and upsert a document that is already text (what :func:`ingest` does
    after parsing; an editor's knowledge entry starts here). ``phrasings``: other wordings of
    what the document answers, added to every chunk's headings so they are searched and
    judged like a section heading. ``extra_payload`` is stored with every chunk."""
    started = time.monotonic() if started is None else started
    chunks = chunk_document(document, config.chunking, link_sections=link_sections)
    if phrasings:
        chunks = [
            replace(chunk, heading_path=(*chunk.heading_path, *phrasings)) for chunk in chunks
        ]
    encoder = SparseEncoder(config.sparse)
    texts = [chunk.index_text() for chunk in chunks]
    dense = None
    if dense_embedder is not None and config.dense.model and texts:
        dense = dense_embedder.embed_documents(texts)
    vectors = [
        ChunkVectors(
            sparse=encoder.encode_document(text),
            dense=tuple(dense[i]) if dense is not None else None,
        )
        for i, text in enumerate(texts)
    ]
    collection = collection_for(config)
    ensure_collection(client, collection, config.dense.dim if config.dense.model else 0)
    if before_write is not None:
        before_write(len(chunks))
    upsert_document_chunks(
        client,
        collection,
        document_id,
        chunks,
        vectors,
        source_id=source_id,
        extra_payload={**(extra_payload or {}), "parser_version": document.parser_version},
        stale_slots=stale_slots,
    )
    seconds = time.monotonic() - started
    logger.info(
        "indexed %s: %s chunks, %s, %.2fs",
        document.url,
        len(chunks),
        document.language or "?",
        seconds,
    )
    return IngestResult(
        chunk_count=len(chunks),
        title=document.title,
        language=document.language,
        collection=collection,
        page_count=document.page_count,
        ocr_pages=document.ocr_pages,
        warnings=document.warnings,
        parser_version=document.parser_version,
        seconds=seconds,
    )
