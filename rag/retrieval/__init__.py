"""Finding the chunks that answer a question."""

from rag.retrieval.search import search

__all__ = ["search"]
