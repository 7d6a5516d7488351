"""Qdrant's failures as Lotse's errors, at the boundary where ``rag.store`` calls the client.

qdrant-client reports trouble in several shapes: httpx transport errors wrapped in
``ResponseHandlingException`` (or raw), ``UnexpectedResponse`` with the HTTP status, and
``ResourceExhaustedResponse`` for a 429 with Retry-After. Callers see only
:class:`rag.errors.VectorStoreUnavailable` (transient) or
:class:`rag.errors.VectorStoreRequestError` (it will not get better by itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import RagError, VectorStoreRequestError, VectorStoreUnavailable

# 408 and 429: the server is busy, not the request wrong
_TRANSIENT_STATUSES = frozenset({408, 429})


def translate_qdrant_error(exc: BaseException) -> RagError | None:
    """The Lotse error for a qdrant-client/httpx exception, or None for anything else."""
    import httpx
    from qdrant_client.common.client_exceptions import ResourceExhaustedResponse
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    if isinstance(exc, ResourceExhaustedResponse):
        return VectorStoreUnavailable(f"Qdrant is rate-limiting: {exc}")
    if isinstance(exc, UnexpectedResponse):
        status = exc.status_code or 0
        if status >= 500 or status in _TRANSIENT_STATUSES:
            return VectorStoreUnavailable(f"Qdrant answered HTTP {status}: {exc.reason_phrase}")
        return VectorStoreRequestError(f"Qdrant refused the request: {exc}")
    source = exc.source if isinstance(exc, ResponseHandlingException) else exc
    if isinstance(source, httpx.TransportError | ConnectionError | TimeoutError):
        return VectorStoreUnavailable(f"Qdrant not reachable: {source!r}")
    if isinstance(exc, ResponseHandlingException):
        # not the network: an answer this client version cannot parse
        return VectorStoreRequestError(f"unreadable answer from Qdrant: {source}")
    return None


@contextmanager
def vector_store_errors() -> Iterator[None]:
    """Raise Qdrant's failures inside the block as Lotse's errors (also as a decorator)."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        error = translate_qdrant_error(exc)
        if error is None:
            raise
        raise error from exc
