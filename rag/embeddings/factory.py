"""The one place a :class:`rag.config.DenseConfig` becomes an embedder. The implementations are
imported only here, on demand, so importing ``rag`` never loads the OpenAI SDK or the model."""

from __future__ import annotations

from rag.config import DenseConfig
from rag.embeddings.base import DenseEmbedder


def build_dense_embedder(config: DenseConfig) -> DenseEmbedder | None:
    """None when no dense model is configured (sparse-only retrieval)."""
    if not config.model:
        return None
    if config.provider == "bundled":
        from rag.embeddings.bundled import BundledEmbedder

        embedder = BundledEmbedder(threads=config.local_threads)
        if (config.model, config.dim) != (embedder.model, embedder.dim):
            raise ValueError(
                f"the bundled model is {embedder.model} with dim {embedder.dim}, configured "
                f"{config.model!r} with dim {config.dim}"
            )
        return embedder
    if config.provider == "local":
        if not config.model_dir:
            raise ValueError("DenseConfig(provider='local') needs model_dir")
        from pathlib import Path

        from rag.embeddings.onnx_local import onnx_file

        if onnx_file(Path(config.model_dir)) is not None:
            # any exported architecture (XLM-RoBERTa included) through onnxruntime
            from rag.embeddings.onnx_local import OnnxEmbedder

            embedder = OnnxEmbedder(
                config.model_dir,
                model=config.model,
                threads=config.local_threads,
                query_prefix=config.query_prefix,
                passage_prefix=config.passage_prefix,
            )
        else:
            from rag.embeddings.local import LocalEmbedder

            embedder = LocalEmbedder(
                config.model_dir, model=config.model, threads=config.local_threads
            )
        if config.dim and embedder.dim != config.dim:
            raise ValueError(f"{config.model_dir} has dim {embedder.dim}, configured {config.dim}")
        return embedder
    if config.provider in ("openai", "azure"):
        from rag.embeddings.openai_api import OpenAIEmbedder

        return OpenAIEmbedder(config)
    raise ValueError(f"unknown dense provider {config.provider!r}")
