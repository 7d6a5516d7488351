"""Vectors for chunks and queries: sparse (always) and dense (when a model is configured)."""

from rag.embeddings.base import DenseEmbedder, EmbeddingRequestError, EmbeddingUnavailable
from rag.embeddings.factory import build_dense_embedder
from rag.embeddings.sparse import SparseEncoder

__all__ = [
    "DenseEmbedder",
    "EmbeddingRequestError",
    "EmbeddingUnavailable",
    "SparseEncoder",
    "build_dense_embedder",
]
