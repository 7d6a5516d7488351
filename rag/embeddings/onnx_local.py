"""Dense embeddings from an exported ONNX sentence encoder, through onnxruntime (CPU).

The family operators download for German sites is XLM-RoBERTa based (multilingual-e5-small/
base, paraphrase-multilingual-MiniLM-L12-v2); their model repositories ship
``onnx/model.onnx`` beside ``tokenizer.json``. onnxruntime runs any such graph, so Lotse
need not reimplement each architecture: only tokenising (``tokenizers``), pooling (mean or
CLS, from ``1_Pooling/config.json``) and L2 normalisation are ours, as in
rag/embeddings/local.py, whose numpy BERT gives the same vectors for the same weights
(tests/rag/test_dense_onnx.py).

Prefixes: e5 models were trained with "query: " and "passage: " before each text; they come
from the configuration, else the folder's ``config_sentence_transformers.json`` prompts,
else (a model named ...e5...) e5's own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ONNX_CANDIDATES = ("model.onnx", "onnx/model.onnx")


def onnx_file(directory: Path) -> Path | None:
    for name in ONNX_CANDIDATES:
        if (directory / name).is_file():
            return directory / name
    return None


def read_prefixes(directory: Path, model: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with, "" when none."""
    path = directory / "config_sentence_transformers.json"
    if path.is_file():
        prompts = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
        if prompts.get("query") or prompts.get("passage") or prompts.get("document"):
            return prompts.get("query", ""), prompts.get("passage") or prompts.get("document", "")
    if "e5" in model.lower().replace("_", "-").split("-"):
        return "query: ", "passage: "
    return "", ""


def read_pooling(directory: Path) -> str:
    path = directory / "1_Pooling" / "config.json"
    if not path.is_file():
        return "mean"
    pooling = json.loads(path.read_text(encoding="utf-8"))
    if pooling.get("pooling_mode_cls_token"):
        return "cls"
    if pooling.get("pooling_mode_mean_tokens", True):
        return "mean"
    raise ValueError(f"unsupported pooling in {path}: only mean or CLS")


def read_normalize(directory: Path) -> bool:
    path = directory / "modules.json"
    if not path.is_file():
        return True  # cosine distance does not care; unit vectors are safer
    modules = json.loads(path.read_text(encoding="utf-8"))
    return any(module.get("type", "").endswith(".Normalize") for module in modules)


def read_max_tokens(directory: Path, default: int = 512) -> int:
    limit = default
    config = directory / "config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        if data.get("max_position_embeddings"):
            limit = int(data["max_position_embeddings"])
            if data.get("model_type") in ("xlm-roberta", "roberta"):
                limit -= 2  # RoBERTa's positions start after the padding index: 514 -> 512
    path = directory / "sentence_bert_config.json"
    if path.is_file():
        value = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            limit = min(int(value), limit)
    return limit


class OnnxEmbedder:
    """:class:`rag.embeddings.base.DenseEmbedder` running ``model.onnx`` with onnxruntime."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        model: str = "",
        threads: int = 1,
        batch_size: int = 8,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        directory = Path(model_dir)
        path = onnx_file(directory)
        if path is None or not (directory / "tokenizer.json").is_file():
            raise FileNotFoundError(
                f"{directory} is not an ONNX model directory: needs tokenizer.json and "
                f"{' or '.join(ONNX_CANDIDATES)}"
            )
        self.model = model or directory.name
        self.batch_size = max(1, batch_size)
        self.threads = threads
        options = onnxruntime.SessionOptions()
        # one thread per process by default, as the numpy model: workers scale by processes
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {item.name for item in self._session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - self._inputs
        if missing:
            raise ValueError(f"{path} lacks the inputs {sorted(missing)}")
        output = self._session.get_outputs()[0]
        self._output = output.name
        self.dim = int(output.shape[-1]) if isinstance(output.shape[-1], int) else 0
        self._pooling = read_pooling(directory)
        self._normalize = read_normalize(directory)
        self.max_tokens = read_max_tokens(directory)
        found_query, found_passage = read_prefixes(directory, self.model)
        self.query_prefix = query_prefix or found_query
        self.passage_prefix = passage_prefix or found_passage
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        if not self.dim:  # a graph with a symbolic hidden size: ask it once
            self.dim = int(self._encode(["dim"]).shape[1])
        logger.info(
            "onnx embedder %s: dim %s, %s pooling, max %s tokens, prefixes %r/%r",
            self.model, self.dim, self._pooling, self.max_tokens, self.query_prefix,
            self.passage_prefix,
        )  # fmt: skip

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + text for text in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0].tolist()

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        result: np.ndarray | None = None
        for start in range(0, len(order), self.batch_size):
            members = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in members)
            ids = np.zeros((len(members), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, i in enumerate(members):
                length = len(encodings[i].ids)
                ids[row, :length] = encodings[i].ids
                types[row, :length] = encodings[i].type_ids
                mask[row, :length] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = types
            hidden = self._session.run([self._output], feed)[0]
            pooled = self._pool(hidden, mask)
            if result is None:
                result = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            result[members] = pooled
        return result

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if hidden.ndim == 2:  # a graph that pools itself (sentence_embedding output)
            pooled = hidden
        elif self._pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self._normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32, copy=False)
