"""Dense embeddings offline, from a sentence-transformers BERT model directory, in numpy.

No torch: the BERT encoder forward pass (embeddings, self-attention, feed-forward, post-layer
norms) is a few matrix products for numpy's BLAS. Weights come from
``model.safetensors`` (``safetensors`` numpy backend), word pieces from ``tokenizer.json``
(``tokenizers``). Pooling follows the directory's ``1_Pooling/config.json`` (mean or CLS) and
``modules.json`` (L2 normalisation), so the vectors match sentence-transformers' output for
models such as all-MiniLM-L6-v2. Needs the ``local-embeddings`` extra.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embeddings.onnx_local import read_normalize, read_pooling

logger = logging.getLogger(__name__)

_REQUIRED = ("config.json", "tokenizer.json", "model.safetensors")
_QKV = ("query", "key", "value")


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), Phi the standard normal CDF, written with erfc:
    Phi(x) = 1 - erfc(x / sqrt 2) / 2 for x >= 0, and erfc(|x| / sqrt 2) / 2 below. numpy has
    no erf(c), so erfc comes from Abramowitz & Stegun 7.1.26 (error < 1.5e-7, below float32
    noise); in-place steps because this runs over the largest activations in the model."""
    z = np.abs(x) * np.float32(1.0 / math.sqrt(2.0))
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    tail = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        tail += np.float32(coefficient)
        tail *= t
    # exp(-87) is float32's smallest normal number; below it results turn subnormal, which
    # the CPU handles many times slower, and the tail is zero to float32 precision there anyway
    np.multiply(z, z, out=z)
    np.minimum(z, 80.0, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z
    tail *= 0.5  # erfc(|x| / sqrt 2) / 2
    phi = np.where(x >= 0, 1.0 - tail, tail)
    phi *= x
    return phi


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class LocalEmbedder:
    """:class:`rag.embeddings.base.DenseEmbedder` running a BERT sentence encoder on the CPU."""

    def __init__(
        self, model_dir: str | Path, *, model: str = "", batch_size: int = 8, threads: int = 1
    ) -> None:
        # batch_size 8: on a 2-core machine batches of 32 were slower, not faster; texts are
        # sorted by length first, so small batches cost little padding
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = Path(model_dir)
        missing = [name for name in _REQUIRED if not (directory / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{directory} is not a model directory: no {', '.join(missing)}"
            )
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type", "bert") != "bert":
            raise ValueError(
                f"only BERT encoders run in numpy, not {config.get('model_type')!r}: put the "
                "model's ONNX export (onnx/model.onnx) into the folder to run it with onnxruntime"
            )
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")
        self.model = model or directory.name
        self.dim = int(config["hidden_size"])
        self.batch_size = max(1, batch_size)
        # BLAS threads while encoding (0 = the library's default, one per core). One is the
        # default because rag workers scale by processes: several multi-threaded BLAS
        # libraries spin-waiting on two cores ran 3x slower per CPU-second than one thread each
        self.threads = threads
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._pooling = read_pooling(directory)
        self._normalize = read_normalize(directory)
        max_tokens = self._read_max_tokens(directory, int(config["max_position_embeddings"]))
        self.max_tokens = max_tokens
        # weights stay float32: float64 would double the memory and halve the speed
        weights = load_file(str(directory / "model.safetensors"))
        # some exports prefix every name with "bert."; accept both spellings
        self._w = {
            name.removeprefix("bert."): value.astype(np.float32, copy=False)
            for name, value in weights.items()
        }
        # linear layers are stored (out, in); transposing once saves it on every call
        for name in list(self._w):
            if name.endswith(".weight") and self._w[name].ndim == 2 and "embeddings" not in name:
                self._w[name] = np.ascontiguousarray(self._w[name].T)
        # query, key and value projections side by side: one matrix product per layer
        self._qkv = [
            (
                np.ascontiguousarray(
                    np.concatenate([self._w[f"{p}{n}.weight"] for n in _QKV], axis=1)
                ),
                np.concatenate([self._w[f"{p}{n}.bias"] for n in _QKV]),
            )
            for p in (f"encoder.layer.{layer}.attention.self." for layer in range(self._layers))
        ]
        for name in [n for n in self._w if n.split(".")[-2] in _QKV]:
            del self._w[name]  # now only in self._qkv
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # the file may carry its own fixed padding/truncation (all-MiniLM-L6-v2: 128); ours
        # must be sentence-transformers' max_seq_length and pad only to the batch's longest
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        logger.info(
            "local embedder %s: %s layers, dim %s, %s pooling, max %s tokens",
            self.model, self._layers, self.dim, self._pooling, max_tokens,
        )  # fmt: skip

    @staticmethod
    def _read_max_tokens(directory: Path, positions: int) -> int:
        path = directory / "sentence_bert_config.json"
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
            if value:
                return min(int(value), positions)
        return positions

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 embeddings, in input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self.threads:
            return self._encode(texts)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.threads, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        # batches of similar length waste little work on padding
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            members = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in members)
            ids = np.zeros((len(members), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros((len(members), width), dtype=np.float32)
            for row, i in enumerate(members):
                length = len(encodings[i].ids)
                ids[row, :length] = encodings[i].ids
                types[row, :length] = encodings[i].type_ids
                mask[row, :length] = 1.0
            result[members] = self._forward(ids, types, mask)
        return result

    def _forward(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps
        )
        heads, head_dim = self._heads, self.dim // self._heads
        # tokens as rows of one 2-D matrix: each linear layer is then one large matrix product
        # instead of one small product per text, which BLAS runs much faster
        x = x.reshape(batch * width, self.dim)
        # padding gets a large negative score so softmax gives it (practically) zero weight
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head_dim))
        for layer in range(self._layers):
            p = f"encoder.layer.{layer}."
            qkv_weight, qkv_bias = self._qkv[layer]
            qkv = (x @ qkv_weight + qkv_bias).reshape(batch, width, 3, heads, head_dim)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, width, head_dim)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            # clamped for the same reason as in _gelu: no subnormal numbers; padding then gets
            # its weight of exactly zero from the mask
            np.maximum(scores, -80.0, out=scores)
            probs = np.exp(scores, out=scores)
            probs *= mask[:, None, None, :]
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * width, self.dim)
            attended = (
                context @ w[p + "attention.output.dense.weight"]
                + w[p + "attention.output.dense.bias"]
            )
            x = _layer_norm(
                x + attended,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            hidden = _gelu(
                x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"]
            )
            out = hidden @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(
                x + out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps
            )
        x = x.reshape(batch, width, self.dim)
        if self._pooling == "cls":
            pooled = x[:, 0, :]
        else:
            counts = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
            pooled = (x * mask[:, :, None]).sum(axis=1) / counts
        if self._normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.clip(norms, 1e-12, None)
        return pooled.astype(np.float32, copy=False)
