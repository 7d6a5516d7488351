"""Errors ``rag`` raises on purpose, each with a message an operator can act on.

Two families: :class:`TransientError` (the same call may succeed later, so the task retries)
and :class:`PermanentError` (retrying the same input gives the same failure, so the task marks
the Document failed with ``reason``). Each adapter (Qdrant, the embedding and LLM clients, the
page store) turns its library's exceptions into these at its boundary; callers decide by
``isinstance``, never by an exception's class name or message.
"""


class RagError(RuntimeError):
    """Base class."""


class TransientError(RagError):
    """A service is away, slow or rate-limiting (connection refused, timeout, 5xx, 429): the
    same call may well succeed a minute later."""


class VectorStoreUnavailable(TransientError):
    """Qdrant cannot be reached or opened, or answers 5xx/429 (transient: the task retries)."""


class VectorStoreRequestError(RagError):
    """Qdrant refused the request (a 4xx, an answer this client cannot read): retrying the
    same call gives the same answer until the configuration or the versions are fixed."""


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
