"""Knowledge entry use cases: saving indexes an entry when its content changed, deleting it
takes its chunks out of the index. Both happen in a rag task after the commit, as for crawled
documents, so the admin and the API answer at once and Qdrant may be away meanwhile."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from backend.knowledge.models import DeletedEntry, KnowledgeEntry
from workers.dispatch import enqueue_on_commit
from workers.names import Task


def on_entry_saved(sender, instance: KnowledgeEntry, **kwargs) -> None:
    if instance.content_hash() == instance.indexed_hash:
        return  # validity, sources or nothing changed: those are checked at search time
    KnowledgeEntry.objects.filter(pk=instance.pk).update(status=KnowledgeEntry.Status.PENDING)
    enqueue_on_commit(Task.INDEX_ENTRY, instance.pk)


def reindex_entries(*, failed_only: bool = False) -> int:
    """Queue every entry (or the failed ones) for indexing again, as ``manage.py reindex``
    does for documents after an embedding change; returns how many."""
    entries = KnowledgeEntry.objects.all()
    if failed_only:
        entries = entries.filter(status=KnowledgeEntry.Status.FAILED)
    with transaction.atomic():
        ids = list(entries.values_list("pk", flat=True))
        # a forgotten hash: the task indexes even where the content is unchanged
        KnowledgeEntry.objects.filter(pk__in=ids).update(
            status=KnowledgeEntry.Status.PENDING, indexed_hash=""
        )
        for entry_id in ids:
            enqueue_on_commit(Task.INDEX_ENTRY, entry_id)
    return len(ids)


def on_entry_deleted(sender, instance: KnowledgeEntry, **kwargs) -> None:
    # the chat leaves a deleted entry out at once (unusable_entry_ids); the task cleans up
    DeletedEntry.objects.filter(deleted_at__lt=timezone.now() - DeletedEntry.KEPT).delete()
    DeletedEntry.objects.create(
        question=instance.question,
        alternative_questions=instance.alternative_questions,
        created_at=instance.created_at,
        valid_from=instance.valid_from,
        valid_until=instance.valid_until,
    )
    enqueue_on_commit(Task.DELETE_ENTRY, instance.index_id, instance.chunk_slots)


def connect_signals() -> None:
    post_save.connect(on_entry_saved, sender=KnowledgeEntry, dispatch_uid="lotse-entry-index")
    post_delete.connect(on_entry_deleted, sender=KnowledgeEntry, dispatch_uid="lotse-entry-clean")
