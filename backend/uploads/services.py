"""Upload use cases: a file is checked (its size, what its content is), kept in the page
store and indexed in a rag task after the commit; a new version of an upload replaces the old
one only once it indexed; deleting an upload takes its chunks out of the index, as for crawled
documents (backend.documents.cleanup).

Every refusal is a :class:`rag.parsing.sniff.RejectedUpload` with a reason for the editor,
raised before anything is stored: a refused file changes nothing.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils.translation import gettext as _

from backend.ops.stores import page_store
from backend.uploads.models import Upload, store_url
from rag.parsing.sniff import RejectedUpload, content_type_of, sniff_upload
from workers.dispatch import enqueue_on_commit
from workers.names import Task

# The page store's source id of every upload, and the index's group of their chunks (which
# every search includes): a source id no Source can have (those are numbers).
UPLOAD_GROUP = "uploads"


def max_upload_bytes() -> int:
    return settings.UPLOAD_MAX_MB * 2**20


class TooBig(RejectedUpload):
    """The file is over UPLOAD_MAX_MB (the API answers 413)."""


def too_big(name: str) -> TooBig:
    return TooBig(
        _("“%(name)s” is larger than the limit of %(mb)s MB (UPLOAD_MAX_MB).")
        % {"name": name, "mb": settings.UPLOAD_MAX_MB}
    )


def read_file(uploaded) -> bytes:
    """The bytes of an uploaded file (a Django ``UploadedFile``), refused when it is over the
    limit: by its size before reading it, and by what reading it gave."""
    limit = max_upload_bytes()
    if uploaded.size is not None and uploaded.size > limit:
        raise too_big(uploaded.name)
    uploaded.seek(0)
    body = uploaded.read(limit + 1)
    if len(body) > limit:
        raise too_big(uploaded.name)
    return body


def check(name: str, body: bytes) -> str:
    """The file's kind, or a RejectedUpload saying why it cannot be taken."""
    name = clean_name(name)
    if len(body) > max_upload_bytes():
        raise too_big(name)
    try:
        return sniff_upload(name, body, max_unpacked=settings.UPLOAD_MAX_UNPACKED_MB * 2**20)
    except RejectedUpload as exc:
        raise RejectedUpload(_translated(exc.reason, name)) from exc


def _translated(reason: str, name: str) -> str:
    """The sniffer's reasons (rag has no translations) in the editor's language."""
    lowered = reason.lower()
    if "cannot be uploaded" in lowered:
        return _(
            "“%(name)s”: files of this type cannot be uploaded (PDF, DOCX, ODT, HTML, TXT and "
            "Markdown can)."
        ) % {"name": name}
    if "is empty" in lowered:
        return _("“%(name)s” is empty.") % {"name": name}
    if "zip bomb" in lowered:
        return _(
            "“%(name)s” unpacks to more than %(mb)s MB: it is refused as a possible zip bomb."
        ) % {"name": name, "mb": settings.UPLOAD_MAX_UNPACKED_MB}
    if "does not match its extension" in lowered:
        return _("“%(name)s” is not what its extension says: its content is of another kind.") % {
            "name": name
        }
    return _("“%(name)s” cannot be read: %(reason)s") % {"name": name, "reason": reason}


def clean_name(name: str) -> str:
    """The file's own name without a path, as browsers may send one."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:255] or "upload"


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _store(upload_id: int, content_hash: str, name: str, kind: str, body: bytes) -> None:
    page_store().record_fetch(
        store_url(upload_id, content_hash),
        source_id=UPLOAD_GROUP,
        status=200,
        body=body,
        content_type=content_type_of(kind),
        title=name,
    )


def add_upload(name: str, body: bytes, user=None) -> Upload:
    """Take a new file: checked, kept in the page store, queued for indexing. The same content
    uploaded a second time is refused (replace the upload instead)."""
    name = clean_name(name)
    kind = check(name, body)
    digest = _digest(body)
    twin = Upload.objects.filter(content_hash=digest).first()
    if twin is not None:
        raise RejectedUpload(
            _("“%(name)s” is already uploaded, as “%(twin)s”.") % {"name": name, "twin": twin}
        )
    with transaction.atomic():
        upload = Upload.objects.create(
            file_name=name,
            kind=kind,
            size=len(body),
            content_hash=digest,
            uploaded_by=user if user is not None and user.is_authenticated else None,
        )
        _store(upload.pk, digest, name, kind, body)
        enqueue_on_commit(Task.INDEX_UPLOAD, upload.pk, digest)
    return upload


def replace_upload(upload: Upload, name: str, body: bytes) -> bool:
    """Take a new version of ``upload``. False when its content is the one already there (or
    already waiting): nothing is indexed again. The old version stays served and indexed
    until the new one is indexed; a new version that cannot be indexed leaves it in place."""
    name = clean_name(name)
    kind = check(name, body)
    digest = _digest(body)
    upload.refresh_from_db()
    if digest in (upload.content_hash, upload.pending_hash):
        return False
    with transaction.atomic():
        _store(upload.pk, digest, name, kind, body)
        Upload.objects.filter(pk=upload.pk).update(
            pending_hash=digest, pending_name=name, pending_kind=kind, pending_size=len(body)
        )
        enqueue_on_commit(Task.INDEX_UPLOAD, upload.pk, digest)
    upload.refresh_from_db()
    return True


def reindex_uploads(uploads=None, *, failed_only: bool = False) -> int:
    """Queue ``uploads`` (default: all; or the failed ones) for indexing again (the admin's
    action; ``manage.py reindex`` after an embedding change); returns how many."""
    uploads = Upload.objects.all() if uploads is None else uploads
    if failed_only:
        uploads = uploads.filter(status=Upload.Status.FAILED)
    with transaction.atomic():
        pairs = list(uploads.values_list("pk", "content_hash"))
        for upload_id, digest in pairs:
            # forced: indexed even where the content is unchanged; served and cited meanwhile
            enqueue_on_commit(Task.INDEX_UPLOAD, upload_id, digest, True)
    return len(pairs)


def forget_orphaned_files() -> int:
    """Drop the stored versions that no upload serves or waits for any more (what a lost
    clean-up task left; the daily maintenance runs it with prune_index). Returns how many."""
    from backend.uploads.models import STORE_PREFIX

    store = page_store()
    wanted = {
        store_url(pk, digest)
        for pk, *digests in Upload.objects.values_list("pk", "content_hash", "pending_hash")
        for digest in digests
        if digest
    }
    gone = [
        url
        for url in store.urls_seen_for_source(UPLOAD_GROUP)
        if url.startswith(STORE_PREFIX) and url not in wanted
    ]
    for url in gone:
        store.mark_gone(url)
    return len(gone)


def on_upload_deleted(sender, instance: Upload, **kwargs) -> None:
    # the chat leaves a deleted upload out at once (unusable_upload_ids); the task cleans up
    urls = [store_url(instance.pk, h) for h in (instance.content_hash, instance.pending_hash) if h]
    enqueue_on_commit(Task.DELETE_UPLOAD, instance.index_id, instance.chunk_slots, urls)


def connect_signals() -> None:
    post_delete.connect(on_upload_deleted, sender=Upload, dispatch_uid="lotse-upload-clean")
