"""Where Django settings become the frozen configs of ``rag``, ``crawler`` and the chat.

``rag`` and ``crawler`` never read settings: they take the config objects built here, and
this is the only module that builds them (tests/backend/test_wiring.py checks that no other
module of ``backend`` or ``workers`` calls a config class). Every function reads the settings
per call, so a test's ``settings`` override takes effect at once; what is expensive to build
from a config (store clients, embedders) is opened and kept in ``backend.ops.stores``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings

from crawler.config import CrawlConfig, MediaWikiConfig
from crawler.store import PageStoreConfig
from rag.answer.config import AnswerConfig, LLMConfig
from rag.config import (
    ChunkingConfig,
    DenseConfig,
    ParsingConfig,
    RagConfig,
    RetrievalConfig,
    VectorStoreConfig,
)
from workers.names import QUEUE_TIME_LIMITS, Queue

if TYPE_CHECKING:
    from backend.sources.models import CrawlRun

logger = logging.getLogger(__name__)


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
            max_unpacked_bytes=settings.UPLOAD_MAX_UNPACKED_MB * 2**20,
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


def answer_config() -> AnswerConfig:
    """The chat's answering config from settings alone; the chat puts the editors' texts on
    top (backend.chat.services.editor_texts_applied)."""
    return AnswerConfig(
        llm=LLMConfig(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.CHAT_MODEL,
            azure_endpoint=settings.AZURE_OPENAI_ENDPOINT,
            azure_api_version=settings.AZURE_OPENAI_API_VERSION,
            timeout_s=settings.CHAT_LLM_TIMEOUT,
            temperature=settings.CHAT_TEMPERATURE,
            max_tokens=settings.CHAT_MAX_ANSWER_TOKENS,
        ),
        top_k=settings.CHAT_TOP_K,
        min_confidence=settings.CHAT_MIN_CONFIDENCE,
        min_stand_out=settings.CHAT_DENSE_STAND_OUT,
        dense_model=dense_config().model,
        query_expansion=settings.CHAT_QUERY_EXPANSION,
        history_turns=settings.CHAT_HISTORY_TURNS,
        contact_hint=settings.CHAT_CONTACT_HINT,
        system_prompts=dict(settings.CHAT_SYSTEM_PROMPTS),
    )


def crawl_config(run: CrawlRun) -> CrawlConfig:
    """The crawler's frozen config for a run: the source's fields plus the operator's limits.
    An unsaved run (``CrawlRun(source=...)``) gives the config a crawl would have, for tools
    that explain what a crawl would do."""
    source = run.source
    soft_limit = QUEUE_TIME_LIMITS[Queue.CRAWLER][0]
    wiki = wiki_config(run) if source.is_wiki else None
    return CrawlConfig(
        source_id=str(source.pk),
        run_id=str(run.pk),
        mediawiki=wiki,
        start_urls=(wiki.api_url,) if wiki else tuple(source.start_url_list),
        sitemap_urls=tuple(source.sitemap_url_list),
        trust_sitemap_lastmod=source.trust_sitemap_lastmod,
        revisit=source.revisit,
        max_revisit_days=float(source.max_revisit_days),
        allowed_domains=tuple(source.allowed_domain_list),
        include_patterns=tuple(source.include_pattern_list),
        exclude_patterns=tuple(source.exclude_pattern_list),
        max_depth=source.max_depth,
        max_pages=source.max_pages,
        follow_pdfs=source.follow_pdfs,
        render=source.render,
        browser_path=settings.CRAWLER_BROWSER,
        render_timeout_s=settings.CRAWLER_RENDER_TIMEOUT,
        nice=settings.CRAWLER_NICE,
        concurrency_per_host=source.concurrency_per_host,
        download_delay=source.download_delay,
        politeness_redis_url=settings.REDIS_URL,
        allowed_networks=tuple(settings.CRAWLER_ALLOWED_NETWORKS),
        max_response_bytes=settings.CRAWLER_MAX_RESPONSE_MB * 1024 * 1024,
        request_timeout_s=settings.CRAWLER_REQUEST_TIMEOUT,
        user_agent=settings.CRAWLER_USER_AGENT,
        # Stop the spider well before Celery's soft limit would interrupt us.
        time_limit_s=min(settings.CRAWLER_TIME_LIMIT, soft_limit - 600),
        max_failed_share=settings.CRAWLER_MAX_FAILED_SHARE,
        log_level="WARNING",
    )


def wiki_config(run: CrawlRun) -> MediaWikiConfig:
    """A MediaWiki source's part of its crawl config (backend.sources.wiki reads the bot
    password from the environment and the time the wiki's logs are read from). An unsaved
    run (the "test a URL" tool) crawls nothing: it gets no password."""
    from backend.sources import wiki

    source = run.source
    return MediaWikiConfig(
        api_url=source.wiki_api_url,
        username=source.wiki_username,
        password=wiki.bot_password(source) if run.pk else "",
        namespaces=wiki.namespaces(source),
        categories=tuple(source.wiki_category_list),
        changes_since=wiki.changes_since(run),
        max_page_bytes=settings.CRAWLER_WIKI_MAX_PAGE_KB * 1024,
        parse_timeout_s=settings.CRAWLER_WIKI_PARSE_TIMEOUT,
    )
