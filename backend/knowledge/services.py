"""Knowledge entry use cases: saving indexes an entry when its content changed, deleting it
takes its chunks out of the index. Both happen in a rag task after the commit, as for crawled
documents, so the admin and the API answer at once and Qdrant may be away meanwhile."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from backend.knowledge.models import KnowledgeEntry
from workers.dispatch import enqueue_on_commit
from workers.names import Task


def on_entry_saved(sender, instance: KnowledgeEntry, **kwargs) -> None:
    if instance.content_hash() == instance.indexed_hash:
        return  # validity, sources or nothing changed: those are checked at search time
    KnowledgeEntry.objects.filter(pk=instance.pk).update(status=KnowledgeEntry.Status.PENDING)
    enqueue_on_commit(Task.INDEX_ENTRY, instance.pk)


def on_entry_deleted(sender, instance: KnowledgeEntry, **kwargs) -> None:
    # the chat leaves a deleted entry out at once (unusable_entry_ids); the task cleans up
    enqueue_on_commit(Task.DELETE_ENTRY, instance.index_id, instance.chunk_slots)


def connect_signals() -> None:
    post_save.connect(on_entry_saved, sender=KnowledgeEntry, dispatch_uid="lotse-entry-index")
    post_delete.connect(on_entry_deleted, sender=KnowledgeEntry, dispatch_uid="lotse-entry-clean")
