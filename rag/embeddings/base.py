"""The dense-embedding interface; implementations live beside it (OpenAI first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class DenseEmbedder(Protocol):
    """Turns texts into fixed-size vectors. ``model`` and ``dim`` name the collection, so two
    models never share one."""

    model: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...
