"""The edge where settings pick the adapters: config objects and shared store clients.

``rag`` and ``crawler`` never read settings; everything that builds their config objects lives
here, and workers use these functions too.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from django.conf import settings

from backend.ops.embedded import acquire_embedded_stores
from crawler.store import PageStore, PageStoreConfig, open_page_store
from rag.config import (
    ChunkingConfig,
    DenseConfig,
    ParsingConfig,
    RagConfig,
    RetrievalConfig,
    VectorStoreConfig,
)
from rag.store import open_vector_client

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_page_store: PageStore | None = None
_vector_client = None


def page_store_config() -> PageStoreConfig:
    return PageStoreConfig(
        url=settings.MONGODB_URL,
        database=settings.MONGODB_DATABASE,
        path=str(settings.PAGE_STORE_PATH),
        timeout_s=settings.HEALTH_CHECK_TIMEOUT,
    )


def vector_store_config() -> VectorStoreConfig:
    return VectorStoreConfig(
        url=settings.QDRANT_URL,
        path=str(settings.QDRANT_PATH),
        api_key=settings.QDRANT_API_KEY,
        timeout_s=settings.HEALTH_CHECK_TIMEOUT,
        collection_prefix=settings.QDRANT_COLLECTION_PREFIX,
    )


def rag_config() -> RagConfig:
    return RagConfig(
        vector_store=vector_store_config(),
        parsing=ParsingConfig(
            cache_dir=str(settings.RAG_CACHE_DIR),
            ocr_enabled=settings.RAG_OCR_ENABLED,
            ocr_languages=settings.RAG_OCR_LANGUAGES,
            max_pdf_pages=settings.RAG_MAX_PDF_PAGES,
        ),
        chunking=ChunkingConfig(
            max_chars=settings.RAG_CHUNK_MAX_CHARS, min_chars=settings.RAG_CHUNK_MIN_CHARS
        ),
        dense=dense_config(),
        retrieval=retrieval_config(),
    )


def retrieval_config() -> RetrievalConfig:
    """An operator's RETRIEVAL_DENSE_WEIGHT applies to every language; unset, the weights
    measured for the model per language (rag/retrieval/weights.py)."""
    if settings.RETRIEVAL_DENSE_WEIGHT != "":
        return RetrievalConfig(dense_weight=settings.RETRIEVAL_DENSE_WEIGHT, measured=False)
    return RetrievalConfig()


def dense_config() -> DenseConfig:
    """ "none": no dense vectors (DenseConfig() means sparse only); "bundled" (the default):
    the model shipped with Lotse, or sparse only with a warning if its wheel is missing."""
    provider = settings.EMBEDDING_PROVIDER
    if provider == "none":
        return DenseConfig()
    if provider == "bundled":
        from rag.embeddings.bundled import BUNDLED_DIM, BUNDLED_MODEL, bundled_model_available

        if not bundled_model_available():
            _warn_once("the bundled embedding model is not installed; lexical retrieval only")
            return DenseConfig()
        return DenseConfig(
            model=BUNDLED_MODEL,
            dim=BUNDLED_DIM,
            provider="bundled",
            local_threads=settings.EMBEDDING_THREADS,
        )
    return DenseConfig(
        model=settings.EMBEDDING_MODEL,
        dim=settings.EMBEDDING_DIM,
        provider=provider,
        api_key=settings.EMBEDDING_API_KEY or settings.OPENAI_API_KEY,
        base_url=settings.EMBEDDING_BASE_URL or settings.OPENAI_BASE_URL,
        azure_endpoint=settings.AZURE_OPENAI_ENDPOINT,
        azure_api_version=settings.AZURE_OPENAI_API_VERSION,
        azure_deployment=settings.EMBEDDING_AZURE_DEPLOYMENT or settings.EMBEDDING_MODEL,
        model_dir=settings.EMBEDDING_MODEL_DIR,
        local_threads=settings.EMBEDDING_THREADS,
        query_prefix=settings.EMBEDDING_QUERY_PREFIX,
        passage_prefix=settings.EMBEDDING_PASSAGE_PREFIX,
    )


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


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
    from backend.chat.answering import answer_config

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
