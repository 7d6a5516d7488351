"""An upload into the index and out of it, through the same ingest as a crawled file
(rag.ingest.ingest: parse, chunk, embed, upsert): retrieval, citations (a PDF's with its
page), the relevance decision and the retrieval debugger treat its chunks like a page's. Their
URL is the file's public address under Lotse (backend.uploads.selectors.public_url); their
group (``source_id``) is UPLOAD_GROUP, which every search includes (backend.chat.retrieval).

The rag tasks call these; only transient trouble (Qdrant, the page store or the embedding
service away) raises, so the task retries. A new version is indexed over the old one's chunk
ids only once it parsed and was embedded: one that fails leaves the old version's chunks,
served file and row as they were.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models.functions import Greatest
from django.utils import timezone

from backend.documents.indexing import is_transient
from backend.ops.stores import dense_embedder, page_store, vector_client
from backend.uploads.models import Upload, store_url
from backend.uploads.selectors import public_url
from backend.uploads.services import UPLOAD_GROUP
from backend.wiring import rag_config
from rag.embeddings.base import EmbeddingRequestError
from rag.errors import PermanentError
from rag.parsing.sniff import content_type_of
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    content_hash: str
    file_name: str
    kind: str
    size: int
    replacing: bool  # a new version over an indexed (or failed) one


def _version(upload: Upload, content_hash: str) -> Version | None:
    if content_hash and content_hash == upload.pending_hash:
        return Version(
            content_hash, upload.pending_name, upload.pending_kind, upload.pending_size, True
        )
    if content_hash == upload.content_hash:
        return Version(content_hash, upload.file_name, upload.kind, upload.size, False)
    return None


def index_upload(upload_id: int, content_hash: str, force: bool = False) -> str:
    """Index one version of an upload (its current one, or the replacement waiting) unless the
    index already holds it (``force``: even then, as ``manage.py reindex`` wants; the upload
    stays served and cited meanwhile). Returns the upload's status, or why nothing was done."""
    from rag.ingest import ingest

    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return "missing"
    version = _version(upload, content_hash)
    if version is None:
        logger.info("upload %s: version %s is outdated; skipping", upload.pk, content_hash[:12])
        return "outdated"
    if not version.replacing and upload.indexed_hash == content_hash and not force:
        return upload.status  # a task sent twice: the index holds this version already
    body = page_store().load_body(store_url(upload.pk, content_hash))
    if body is None:
        return _failed(upload, version, "The page store has no copy of this file: upload it again.")
    try:
        result = ingest(
            body,
            content_type_of(version.kind),
            public_url(upload.pk, version.file_name),
            upload.index_id,
            UPLOAD_GROUP,
            rag_config(),
            vector_client(),
            dense_embedder=dense_embedder(),
            title_hint=upload.title,  # not the file name: the URL names the file already
            stale_slots=upload.chunk_slots,
            before_write=lambda count: _reserve_slots(upload, count),
        )
    except PermanentError as exc:
        return _failed(upload, version, exc.reason)
    except EmbeddingRequestError as exc:
        return _failed(upload, version, f"The embedding service refused the request: {exc}")
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.exception("indexing upload %s failed", upload.pk)
        return _failed(upload, version, f"{type(exc).__name__}: {exc}")
    old_hash = upload.content_hash
    current = Upload.objects.filter(pk=upload.pk, content_hash=old_hash)
    fields = {}
    if version.replacing:  # the new version takes the place of the old one
        current = current.filter(pending_hash=version.content_hash)
        fields = {"pending_hash": "", "pending_name": "", "pending_kind": "", "pending_size": 0}
    updated = current.update(
        **fields,
        status=Upload.Status.INDEXED,
        error="",
        content_hash=version.content_hash,
        indexed_hash=version.content_hash,
        file_name=version.file_name,
        kind=version.kind,
        size=version.size,
        title=(result.title or version.file_name)[:500],
        language=result.language[:10],
        page_count=result.page_count,
        chunk_count=result.chunk_count,
        chunk_slots=result.chunk_count,  # the leftovers above it are deleted by now
        last_indexed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not updated:
        if not Upload.objects.filter(pk=upload.pk).exists():
            # deleted while it was indexed: its clean-up may have run before these chunks
            remove_upload(upload.index_id, max(upload.chunk_slots, result.chunk_count), [])
            return "missing"
        # another version won meanwhile, and these chunks may have overwritten its: the
        # version the row names is indexed again (a no-op task when it is outdated by then)
        latest = Upload.objects.filter(pk=upload.pk).values_list("content_hash", flat=True)
        logger.info("upload %s changed while it was indexed; indexing it again", upload.pk)
        enqueue_on_commit(Task.INDEX_UPLOAD, upload.pk, latest.first() or "", True)
        return "outdated"
    if version.replacing and old_hash != version.content_hash:
        page_store().mark_gone(store_url(upload.pk, old_hash))
    logger.info("upload %s indexed: %s chunks", upload.pk, result.chunk_count)
    return Upload.Status.INDEXED


def _reserve_slots(upload: Upload, count: int) -> None:
    if count > upload.chunk_slots:
        Upload.objects.filter(pk=upload.pk).update(chunk_slots=Greatest("chunk_slots", count))
        upload.chunk_slots = count


def _failed(upload: Upload, version: Version, reason: str) -> str:
    """A version that will never index. A replacement is dropped (its stored copy too) and
    the version before it stays as it was; the current version fails and leaves the index."""
    if version.replacing:
        Upload.objects.filter(pk=upload.pk, pending_hash=version.content_hash).update(
            # in English, as every indexing error (rag's reasons are)
            error=f"The new version “{version.file_name}” was not taken: {reason}. The "
            "previous version stays as it was.",
            pending_hash="", pending_name="", pending_kind="", pending_size=0,
        )  # fmt: skip
        if version.content_hash != upload.content_hash:
            page_store().mark_gone(store_url(upload.pk, version.content_hash))
        logger.info("upload %s: new version refused: %s", upload.pk, reason)
        return upload.status
    remove_upload(upload.index_id, upload.chunk_slots, [])
    Upload.objects.filter(pk=upload.pk, content_hash=version.content_hash).update(
        status=Upload.Status.FAILED, error=reason[:2000], indexed_hash="", chunk_count=0,
        chunk_slots=0,
    )  # fmt: skip
    logger.info("upload %s failed: %s", upload.pk, reason)
    return Upload.Status.FAILED


def remove_upload(index_id: str, slots: int | None, urls: list[str]) -> None:
    """Delete a deleted upload's chunks (by id when its slots are known) and its stored
    versions. Idempotent: a second call finds nothing."""
    from rag.ingest import collection_for
    from rag.store.points import delete_document

    client = vector_client()
    collection = collection_for(rag_config())
    if client.collection_exists(collection):
        delete_document(client, collection, index_id, slots=slots)
    store = page_store()
    for url in urls:
        store.mark_gone(url)
