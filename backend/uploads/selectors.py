"""Reads about uploads: their public address, and which of their chunks the chat may cite."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.urls import reverse

from backend.uploads.models import INDEX_PREFIX, Upload


def public_base() -> str:
    """Where visitors reach Lotse: LOTSE_PUBLIC_URL, else https://CHATBOT_HOST (the local
    server's address when that is localhost)."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/")
    host = settings.CHATBOT_HOST
    if host in ("localhost", "127.0.0.1", ""):
        return "http://127.0.0.1:8000"
    return f"https://{host}"


def public_url(upload_id: int, file_name: str) -> str:
    """The address an upload is cited by and served at (backend.uploads.views.serve_file)."""
    path = reverse("upload-file", args=[upload_id, "x"])[:-1] + quote(file_name, safe="")
    return public_base() + path


def unusable_upload_ids(document_ids: Iterable[str]) -> set[str]:
    """Those of ``document_ids`` (index ids) that are uploads the chat may not cite: deleted,
    or without an indexed version. As dead_document_ids: outside a transaction it closes the
    connection it used."""
    wanted = {
        d for d in document_ids if d.startswith(INDEX_PREFIX) and d[len(INDEX_PREFIX) :].isdigit()
    }
    if not wanted:
        return set()
    live = {
        f"{INDEX_PREFIX}{pk}"
        for pk in Upload.objects.filter(pk__in=[int(d[len(INDEX_PREFIX) :]) for d in wanted])
        .exclude(indexed_hash="")
        .values_list("pk", flat=True)
    }
    if not connection.in_atomic_block:
        connection.close()
    return wanted - live


def upload_chunks(upload: Upload) -> list[dict]:
    """The upload's chunks as the retriever sees them, in order (empty if not indexed)."""
    from backend.ops.stores import vector_client
    from backend.wiring import rag_config
    from rag.ingest import collection_for
    from rag.store.points import document_chunks

    client = vector_client()
    collection = collection_for(rag_config())
    if not client.collection_exists(collection):
        return []
    return document_chunks(client, collection, upload.index_id, slots=upload.chunk_slots)
