"""Qdrant's failures arrive as Lotse's errors: transient ones as VectorStoreUnavailable (a
TransientError), refusals as VectorStoreRequestError. The real qdrant-client talks to a local
HTTP server that answers as told, or to a port where nothing listens."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from qdrant_client import QdrantClient

from rag.errors import TransientError, VectorStoreRequestError, VectorStoreUnavailable
from rag.models import Chunk, ChunkVectors, SparseVector
from rag.store.collections import collection_exists, ensure_collection
from rag.store.points import delete_document, upsert_document_chunks


class Answer(BaseHTTPRequestHandler):
    """Every request gets the server's ``status``, ``headers`` and ``body``."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        server = self.server
        self.send_response(server.status)
        for name, value in server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def qdrant_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.status, server.headers, server.body = 200, {}, b"{}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    client = QdrantClient(
        url=f"http://127.0.0.1:{server.server_port}", timeout=5, check_compatibility=False
    )
    yield server, client
    client.close()
    server.shutdown()
    server.server_close()


def answer(server, status: int, headers: dict | None = None, body: dict | None = None) -> None:
    server.status, server.headers = status, headers or {}
    server.body = json.dumps(body or {"status": {"error": "as told"}, "time": 0}).encode()


def write_one(client) -> None:
    chunk = Chunk(
        url="https://verein.example/", title="Beiträge", heading_path=(), text="Der Beitrag",
        language="de", position=0,
    )  # fmt: skip
    vectors = ChunkVectors(sparse=SparseVector(indices=(1,), values=(1.0,)))
    upsert_document_chunks(client, "c", "doc", [chunk], [vectors], source_id="1")


CALLS = {
    "collection_exists": lambda client: collection_exists(client, "c"),
    "ensure_collection": lambda client: ensure_collection(client, "c"),
    "delete_document": lambda client: delete_document(client, "c", "doc", slots=3),
    "upsert_document_chunks": write_one,
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    ("status", "headers"),
    [(500, {}), (502, {}), (503, {}), (429, {"Retry-After": "3"}), (429, {}), (408, {})],
)
def test_a_busy_or_failing_qdrant_is_transient(qdrant_server, call, status, headers):
    server, client = qdrant_server
    answer(server, status, headers)
    with pytest.raises(VectorStoreUnavailable) as raised:
        CALLS[call](client)
    assert isinstance(raised.value, TransientError)


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_refusal_is_not_transient(qdrant_server, call, status):
    server, client = qdrant_server
    answer(server, status)
    with pytest.raises(VectorStoreRequestError) as raised:
        CALLS[call](client)
    assert not isinstance(raised.value, TransientError)


def test_an_answer_the_client_cannot_read_is_not_transient(qdrant_server):
    server, client = qdrant_server
    answer(server, 200, body={"result": "not what qdrant-client expects", "time": 0})
    with pytest.raises(VectorStoreRequestError, match="unreadable"):
        collection_exists(client, "c")


def test_nothing_listening_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    client = QdrantClient(url=f"http://127.0.0.1:{port}", timeout=2, check_compatibility=False)
    try:
        with pytest.raises(VectorStoreUnavailable, match="not reachable"):
            collection_exists(client, "c")
        with pytest.raises(VectorStoreUnavailable):
            write_one(client)
    finally:
        client.close()


def test_errors_that_are_not_qdrants_pass_through_untouched(qdrant_server):
    _server, client = qdrant_server
    with pytest.raises(ValueError):  # a caller's mistake stays a caller's mistake
        upsert_document_chunks(
            client, "c", "doc", [], [ChunkVectors(sparse=SparseVector(indices=(), values=()))]
        )
