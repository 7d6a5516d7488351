"""Vectors for chunks and queries: sparse (always) and dense (when a model is configured)."""

from rag.embeddings.base import DenseEmbedder
from rag.embeddings.sparse import SparseEncoder

__all__ = ["DenseEmbedder", "SparseEncoder"]
