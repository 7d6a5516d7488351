"""Parsed blocks -> chunks that follow the document's headings and stay under a size limit."""

from rag.chunking.headings import chunk_document, split_text

__all__ = ["chunk_document", "split_text"]
