"""An entry into the index and out of it, through the same chunking, embedding and upsert as a
crawled page (rag.ingest.index_parsed): retrieval, citations, the relevance decision and the
retrieval debugger treat its chunks like any other. The payload marks them (``kind``
"entry", the entry's date); their group (``source_id``) is ENTRY_GROUP, which every search
includes (backend.chat.retrieval), and the chat leaves out entries that are outside their
validity or meant for other sources (backend.knowledge.selectors.unusable_entry_ids).

The rag tasks call these; only transient trouble (Qdrant away) raises, so the task retries.
"""

from __future__ import annotations

import logging
import re

from django.db.models.functions import Greatest
from django.utils import timezone

from backend.documents.indexing import is_transient
from backend.knowledge.models import KnowledgeEntry
from backend.ops.stores import dense_embedder, vector_client
from backend.wiring import rag_config
from rag.models import Block, ParsedDocument
from rag.retrieval.ties import ENTRY

logger = logging.getLogger(__name__)

# The index's group of all entries: a source id no Source can have (those are numbers).
ENTRY_GROUP = "entries"
PARSER_VERSION = "knowledge-entry-1"
_PARAGRAPHS = re.compile(r"\n\s*\n")


def entry_document(entry: KnowledgeEntry) -> ParsedDocument:
    """The entry as a parsed page: its question the title, its paragraphs the text. It is
    never HTML, so markup in an answer stays text (the widget shows it as text, too)."""
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(entry.answer) if p.strip()]
    return ParsedDocument(
        url=entry.read_more_url.strip(),
        content_type="html",
        title=entry.question.strip(),
        language=entry.language,
        blocks=tuple(Block("text", paragraph) for paragraph in paragraphs),
        parser_version=PARSER_VERSION,
    )


def index_entry(entry_id: int) -> str:
    """Index the entry unless the index already holds this content. Returns its status."""
    from rag.ingest import index_parsed

    entry = KnowledgeEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return "missing"
    wanted = entry.content_hash()
    if entry.indexed_hash == wanted and entry.status == KnowledgeEntry.Status.INDEXED:
        return entry.status  # a save that changed only validity, sources or nothing
    try:
        result = index_parsed(
            entry_document(entry),
            entry.index_id,
            ENTRY_GROUP,
            rag_config(),
            vector_client(),
            dense_embedder=dense_embedder(),
            stale_slots=entry.chunk_slots,
            before_write=lambda count: _reserve_slots(entry, count),
            phrasings=entry.phrasings(),
            extra_payload={
                "kind": ENTRY,
                "entry_id": entry.pk,
                "entry_date": timezone.localdate(entry.updated_at).isoformat(),
            },
        )
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.exception("indexing knowledge entry %s failed", entry.pk)
        return _mark_failed(entry, f"{type(exc).__name__}: {exc}")
    updated = KnowledgeEntry.objects.filter(pk=entry.pk).update(
        status=KnowledgeEntry.Status.INDEXED,
        error="",
        indexed_hash=wanted,
        chunk_count=result.chunk_count,
        chunk_slots=result.chunk_count,
    )
    if not updated:  # deleted while it was indexed: its clean-up may have run already
        remove_entry_points(entry.index_id, slots=entry.chunk_slots)
        return "missing"
    logger.info("knowledge entry %s indexed: %s chunks", entry.pk, result.chunk_count)
    return KnowledgeEntry.Status.INDEXED


def _reserve_slots(entry: KnowledgeEntry, count: int) -> None:
    if count > entry.chunk_slots:
        KnowledgeEntry.objects.filter(pk=entry.pk).update(
            chunk_slots=Greatest("chunk_slots", count)
        )
        entry.chunk_slots = count


def _mark_failed(entry: KnowledgeEntry, reason: str) -> str:
    KnowledgeEntry.objects.filter(pk=entry.pk).update(
        status=KnowledgeEntry.Status.FAILED, error=reason[:2000], indexed_hash=""
    )
    return KnowledgeEntry.Status.FAILED


def remove_entry_points(index_id: str, slots: int | None = None) -> None:
    """Delete an entry's chunks: by id when its slots are known, else by a filter."""
    from rag.ingest import collection_for
    from rag.store.points import delete_document

    client = vector_client()
    collection = collection_for(rag_config())
    if client.collection_exists(collection):
        delete_document(client, collection, index_id, slots=slots)
