"""Use cases on indexed documents."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from backend.documents.models import Document
from workers.dispatch import enqueue_on_commit
from workers.names import Task


def reindex(documents: QuerySet[Document]) -> int:
    """Queue every document (except gone ones) for indexing again; returns how many.

    Parsing is cached by content hash, so this re-chunks and re-embeds without re-parsing
    unless the parser itself changed.
    """
    with transaction.atomic():
        ids = list(documents.exclude(status=Document.Status.GONE).values_list("pk", flat=True))
        Document.objects.filter(pk__in=ids).update(status=Document.Status.PENDING, error="")
        for document_id in ids:
            enqueue_on_commit(Task.INGEST_DOCUMENT, document_id, "")
    return len(ids)
