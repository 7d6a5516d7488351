"""Errors ``rag`` raises on purpose, each with a message an operator can act on.

Two families: transient ones (the task retries) and :class:`PermanentError` (retrying the
same input gives the same failure, so the task marks the Document failed with ``reason``).
"""


class RagError(RuntimeError):
    """Base class."""


class VectorStoreUnavailable(RagError):
    """Qdrant cannot be reached or opened (transient: the task retries)."""


class PermanentError(RagError):
    """The input itself is the problem; ``reason`` is short and readable for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DocumentParseError(PermanentError):
    """The document is broken or cannot be read."""


class EncryptedDocumentError(DocumentParseError):
    """The PDF needs a password."""


class EmptyDocumentError(DocumentParseError):
    """The document parsed but holds no text worth indexing."""


class UnsupportedContentTypeError(PermanentError):
    """Neither HTML nor PDF."""
