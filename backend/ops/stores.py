"""The process's shared store clients and embedder, opened once from the configs of
``backend.wiring`` (where settings become config), and how the running instance is set up.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from django.conf import settings

from backend.ops.embedded import acquire_embedded_stores
from backend.wiring import answer_config, dense_config, page_store_config, vector_store_config
from crawler.store import PageStore, open_page_store
from rag.store import open_vector_client

_lock = threading.Lock()
_page_store: PageStore | None = None
_vector_client = None
_embedders: dict = {}


def dense_embedder():
    """The process's embedder for the configured model (built once), or None."""
    config = dense_config()
    if not config.model:
        return None
    with _lock:
        if config not in _embedders:
            from rag.embeddings.factory import build_dense_embedder

            _embedders[config] = build_dense_embedder(config)
        return _embedders[config]


def page_store() -> PageStore:
    """The process's page store client (opened once)."""
    global _page_store
    with _lock:
        if _page_store is None:
            _page_store = open_page_store(page_store_config())
        return _page_store


def vector_client():
    """The process's Qdrant client. Local mode first takes the embedded-stores lock."""
    global _vector_client
    with _lock:
        if _vector_client is None:
            config = vector_store_config()
            if config.local:
                acquire_embedded_stores()
            _vector_client = open_vector_client(config)
        return _vector_client


def close_stores() -> None:
    global _page_store, _vector_client
    with _lock:
        if _page_store is not None:
            _page_store.close()
        if _vector_client is not None:
            _vector_client.close()
        _page_store = _vector_client = None


def answer_mode() -> dict[str, str]:
    """How the chat answers and searches, from the same configs the chat and the indexer
    use: {"answers": ..., "search": ...}, for the banner, /readyz and the admin start page."""
    llm = answer_config().llm
    if not llm.enabled:
        answers = "extractive (no language model)"
    elif llm.azure_endpoint:
        answers = f"language model {llm.model} (Azure OpenAI deployment)"
    else:
        # the host only: a URL may carry credentials
        host = urlsplit(llm.base_url).netloc.rsplit("@", 1)[-1] if llm.base_url else ""
        answers = f"language model {llm.model}" + (f" at {host}" if host else "")
    dense = dense_config()
    search = f"keywords + {dense.model} ({dense.provider})" if dense.model else "keywords only"
    return {"answers": answers, "search": search}


def describe_mode() -> dict[str, str]:
    """Which adapter each part uses, for the start banner and /readyz."""
    db = settings.DATABASES["default"]
    return {
        "database": "MySQL" if "mysql" in db["ENGINE"] else f"SQLite ({db['NAME']})",
        "page_store": "MongoDB"
        if settings.MONGODB_URL
        else f"embedded ({settings.PAGE_STORE_PATH})",
        "vectors": "Qdrant server"
        if settings.QDRANT_URL
        else f"Qdrant local ({settings.QDRANT_PATH})",
        "tasks": "in-process worker" if settings.TASKS_EMBEDDED else "Celery via broker",
        **answer_mode(),
    }
