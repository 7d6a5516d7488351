"""Reads about knowledge entries for the chat."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from backend.knowledge.models import KnowledgeEntry

ENTRY_PREFIX = "entry-"


def unusable_entry_ids(document_ids: Iterable[str], source_ids: Sequence[str]) -> set[str]:
    """Those of ``document_ids`` (index ids) that are entries the chat may not use now:
    deleted, outside their validity, or meant for other sources than ``source_ids`` (the
    conversation's; empty = everything). Validity is checked here, at search time, so an
    entry starts and stops counting at the minute set, without a task that re-indexes it.
    As dead_document_ids: outside a transaction it closes the connection it used."""
    wanted = {
        d for d in document_ids if d.startswith(ENTRY_PREFIX) and d[len(ENTRY_PREFIX) :].isdigit()
    }
    if not wanted:
        return set()
    now = timezone.now()
    usable = KnowledgeEntry.objects.filter(
        pk__in=[int(d[len(ENTRY_PREFIX) :]) for d in wanted],
        status=KnowledgeEntry.Status.INDEXED,
    ).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=now),
        Q(valid_until__isnull=True) | Q(valid_until__gt=now),
    )
    if source_ids:
        usable = usable.filter(
            Q(sources__isnull=True) | Q(sources__in=[int(s) for s in source_ids if s.isdigit()])
        ).distinct()
    live = {f"{ENTRY_PREFIX}{pk}" for pk in usable.values_list("pk", flat=True)}
    if not connection.in_atomic_block:
        connection.close()
    return wanted - live


def entry_form_url(question: str, language: str = "", feedback_id: int | None = None) -> str:
    """The admin's add form for an entry, prefilled with a visitor's question (the admin
    takes initial values from the query string): one click from a gap or a conversation.
    With ``feedback_id`` the form shows that thumbs-down and its comment above the fields."""
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {"question": " ".join(question.split())[:500]}
    if language in KnowledgeEntry.Language.values:
        query["language"] = language
    if feedback_id is not None:
        query["feedback"] = str(feedback_id)
    return f"{reverse('admin:knowledge_knowledgeentry_add')}?{urlencode(query)}"
