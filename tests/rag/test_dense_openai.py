"""OpenAIEmbedder against a local OpenAI-compatible server, through the real ``openai`` SDK.

The server speaks the wire format of ``POST /v1/embeddings`` (and Azure's
``POST /openai/deployments/{name}/embeddings?api-version=...``) and plays a scripted list of
failures (status code and headers) before answering normally.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from rag.config import DenseConfig
from rag.embeddings import EmbeddingRequestError, EmbeddingUnavailable, build_dense_embedder
from rag.embeddings.openai_api import OpenAIEmbedder, retry_after_seconds, retry_policy
from rag.errors import TransientError

REPO = Path(__file__).resolve().parents[2]
DIM = 8


def fake_vector(text: str, dim: int = DIM) -> list[float]:
    """Deterministic per text, so a test can tell which input a vector belongs to."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round(byte / 255.0 - 0.5, 6) for byte in digest[:dim]]


class FakeEmbeddingsServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: list[tuple[int, dict[str, str]]] = []  # played first, in order
        self.dim = DIM
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                url = urlsplit(self.path)
                server.requests.append(
                    {
                        "path": url.path,
                        "query": parse_qs(url.query),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                if not url.path.endswith("/embeddings"):
                    return self._json(404, {"error": {"message": "not found", "type": "x"}})
                if server.failures:
                    status, headers = server.failures.pop(0)
                    error = {"message": f"scripted {status}", "type": "scripted", "code": None}
                    return self._json(status, {"error": error}, headers)
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = []
                for index, text in enumerate(inputs):
                    vector = fake_vector(text, server.dim)
                    if body.get("encoding_format") == "base64":
                        packed = struct.pack(f"<{len(vector)}f", *vector)
                        embedding = base64.b64encode(packed).decode("ascii")
                    else:
                        embedding = vector
                    data.append({"object": "embedding", "index": index, "embedding": embedding})
                data.reverse()  # the API does not promise order; the client must sort by index
                tokens = sum(len(text.split()) for text in inputs)
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model", ""),
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def embedding_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/embeddings")]


@pytest.fixture
def embeddings_server():
    server = FakeEmbeddingsServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class Sleeps(list):
    """Records the waits instead of waiting, so retry tests take no time."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def openai_config(server: FakeEmbeddingsServer, **overrides) -> DenseConfig:
    values = {
        "model": "text-embedding-3-small",
        "dim": DIM,
        "provider": "openai",
        "api_key": "test-key",
        "base_url": server.url + "/v1",
        "batch_size": 2,
        "max_retries": 3,
        "backoff_initial_s": 0.5,
        "backoff_max_s": 4.0,
        "timeout_s": 5.0,
    }
    return DenseConfig(**{**values, **overrides})


def test_documents_are_embedded_in_batches_in_input_order(embeddings_server):
    texts = ["Anmeldefrist", "Kursgebühr", "Öffnungszeiten", "Bibliothek", "Mensa"]
    embedder = OpenAIEmbedder(openai_config(embeddings_server))

    vectors = embedder.embed_documents(texts)

    assert vectors == [pytest.approx(fake_vector(text), abs=1e-6) for text in texts]
    sent = embeddings_server.embedding_requests
    assert [r["body"]["input"] for r in sent] == [texts[0:2], texts[2:4], texts[4:5]]
    assert {r["path"] for r in sent} == {"/v1/embeddings"}
    assert {r["body"]["model"] for r in sent} == {"text-embedding-3-small"}
    assert {r["body"]["encoding_format"] for r in sent} == {"float"}
    assert {r["headers"]["authorization"] for r in sent} == {"Bearer test-key"}


def test_query_is_one_request_and_blank_text_is_sent_as_a_space(embeddings_server):
    embedder = OpenAIEmbedder(openai_config(embeddings_server))

    assert embedder.embed_query("Wann ist die Anmeldefrist?") == pytest.approx(
        fake_vector("Wann ist die Anmeldefrist?"), abs=1e-6
    )
    embedder.embed_query("")  # the API rejects "" with a 400

    assert [r["body"]["input"] for r in embeddings_server.embedding_requests] == [
        ["Wann ist die Anmeldefrist?"],
        [" "],
    ]


def test_rate_limit_waits_as_retry_after_says_then_succeeds(embeddings_server):
    embeddings_server.failures = [(429, {"Retry-After": "2"})]
    sleeps = Sleeps()
    embedder = OpenAIEmbedder(openai_config(embeddings_server), sleep=sleeps)

    vectors = embedder.embed_documents(["a", "b"])

    assert vectors == [pytest.approx(fake_vector("a"), abs=1e-6), pytest.approx(fake_vector("b"))]
    assert len(embeddings_server.embedding_requests) == 2  # the 429, then the answer
    assert sleeps == [2.0]


def test_server_errors_back_off_with_jitter_within_bounds(embeddings_server):
    embeddings_server.failures = [(500, {}), (503, {}), (502, {})]
    sleeps = Sleeps()
    embedder = OpenAIEmbedder(openai_config(embeddings_server), sleep=sleeps, rand=lambda: 0.5)

    assert embedder.embed_query("x") == pytest.approx(fake_vector("x"), abs=1e-6)
    # full jitter: half (rand 0.5) of 0.5 s, 1 s, 2 s
    assert sleeps == [0.25, 0.5, 1.0]


def test_gives_up_after_max_retries_with_a_transient_error(embeddings_server):
    embeddings_server.failures = [(429, {"Retry-After": "100"})] * 10
    sleeps = Sleeps()
    embedder = OpenAIEmbedder(openai_config(embeddings_server), sleep=sleeps)

    with pytest.raises(EmbeddingUnavailable, match="after 4 attempts"):
        embedder.embed_documents(["a"])

    assert len(embeddings_server.embedding_requests) == 4  # 1 + max_retries
    assert sleeps == [4.0, 4.0, 4.0]  # a long Retry-After is capped at backoff_max_s


def test_a_transient_failure_is_a_transient_error_and_a_refusal_is_not(embeddings_server):
    embeddings_server.failures = [(503, {})] * 10
    embedder = OpenAIEmbedder(openai_config(embeddings_server), sleep=Sleeps())
    with pytest.raises(TransientError):
        embedder.embed_query("a")

    embeddings_server.failures = [(403, {})]
    with pytest.raises(EmbeddingRequestError) as refused:
        embedder.embed_query("a")
    assert not isinstance(refused.value, TransientError)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # the finer one wins
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),  # an HTTP-date, past
        ({"retry-after": "later"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds_reads_both_headers(headers, seconds):
    class Failure(Exception):
        response = type("Response", (), {"headers": headers})()

    assert retry_after_seconds(Failure()) == seconds


def test_a_rejected_request_is_not_retried(embeddings_server):
    embeddings_server.failures = [(401, {})]
    embedder = OpenAIEmbedder(openai_config(embeddings_server), sleep=Sleeps())

    with pytest.raises(EmbeddingRequestError, match="HTTP 401"):
        embedder.embed_documents(["a"])
    assert len(embeddings_server.embedding_requests) == 1


def test_wrong_dimension_is_a_configuration_error(embeddings_server):
    embedder = OpenAIEmbedder(openai_config(embeddings_server, dim=1536))

    with pytest.raises(EmbeddingRequestError, match="configured dim is 1536"):
        embedder.embed_query("a")


def test_azure_openai_uses_deployment_route_api_version_and_key(embeddings_server):
    config = DenseConfig(
        model="text-embedding-3-small",
        dim=DIM,
        provider="azure",
        api_key="azure-key",
        azure_endpoint=embeddings_server.url,
        azure_api_version="2024-10-21",
        azure_deployment="lotse-embed",
    )
    embedder = build_dense_embedder(config)

    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.embed_documents(["Hallo"]) == [pytest.approx(fake_vector("Hallo"), abs=1e-6)]
    (sent,) = embeddings_server.embedding_requests
    assert sent["path"] == "/openai/deployments/lotse-embed/embeddings"
    assert sent["query"]["api-version"] == ["2024-10-21"]
    assert sent["headers"]["api-key"] == "azure-key"
    assert sent["body"]["model"] == "lotse-embed"


def test_azure_needs_endpoint_version_and_deployment():
    with pytest.raises(ValueError, match="azure_endpoint"):
        build_dense_embedder(DenseConfig(model="m", dim=8, provider="azure", api_key="k"))


@pytest.mark.parametrize(
    ("attempt", "retry_after", "rand", "expected"),
    [
        (1, None, 1.0, 1.0),  # initial 1 s
        (3, None, 1.0, 4.0),  # doubles per attempt
        (10, None, 1.0, 30.0),  # capped at backoff_max_s
        (3, None, 0.25, 1.0),  # full jitter scales the whole wait
        (1, 7.0, 0.0, 7.0),  # the server's hint wins over jitter
        (1, 120.0, 0.5, 30.0),  # ...but is capped too
    ],
)
def test_retry_policy_from_the_config(attempt, retry_after, rand, expected):
    config = DenseConfig(model="m", dim=8, backoff_initial_s=1.0, backoff_max_s=30.0)
    policy = retry_policy(config)
    assert policy.delay(attempt, retry_after, lambda: rand) == pytest.approx(expected)


def test_no_dense_model_means_no_embedder():
    assert build_dense_embedder(DenseConfig()) is None


def test_api_key_stays_out_of_reprs():
    assert "secret" not in repr(DenseConfig(model="m", dim=8, api_key="secret"))


def test_importing_rag_embeddings_loads_no_sdk_or_model_libraries():
    code = "import sys, json, rag.embeddings, rag.retrieval; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout.strip().splitlines()[-1])}
    assert not loaded & {"openai", "tokenizers", "safetensors", "threadpoolctl", "torch"}
