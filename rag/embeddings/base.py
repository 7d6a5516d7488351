"""The dense-embedding interface; implementations live beside it (OpenAI API and local)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from rag.errors import RagError, TransientError


@runtime_checkable
class DenseEmbedder(Protocol):
    """Turns texts into fixed-size vectors. ``model`` and ``dim`` name the collection, so two
    models never share one."""

    model: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class EmbeddingUnavailable(TransientError):
    """The embedding service kept failing (rate limit, 5xx, network) after bounded retries:
    transient, the task retries later."""


class EmbeddingRequestError(RagError):
    """The embedding service rejected the request (bad key, unknown model or deployment, wrong
    dimension): retrying will not help until the configuration is fixed."""
