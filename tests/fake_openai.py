"""A local OpenAI-compatible chat completions server for tests, reached by the real SDK.

It speaks the real wire format: ``POST .../chat/completions`` with ``stream: true`` answers
``text/event-stream`` lines ``data: {chunk json}`` and ends with ``data: [DONE]``; with
``stream_options.include_usage`` the last chunk carries the token usage. Every request body
is recorded, so tests can assert what the model was told.

Replies are scripted: :meth:`FakeOpenAI.queue` sets the next ones in order, ``default`` is
used when none is queued. Modes model a real endpoint's failures: ``http500``, ``status``
(an error answer with ``Reply.status`` and ``Reply.headers``, e.g. a 429 with Retry-After), ``garbage``
(unparseable stream), ``error_event`` (an error object inside a started stream, as
OpenAI sends when a model is overloaded; ``error_after_text``: the same after the reply's
text), ``slow`` (no answer within the client's timeout), ``length`` (the text, then
``finish_reason: "length"``, as when ``max_tokens`` cut the answer off), ``empty`` (a
well-formed stream without any text, or only whitespace: ``Reply(" ", mode="empty")``) and a
per-chunk ``chunk_delay`` to keep a stream open while a client disconnects.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

logger = logging.getLogger(__name__)

Mode = Literal[
    "ok",
    "http500",
    "status",
    "garbage",
    "slow",
    "error_event",
    "error_after_text",
    "length",
    "empty",
]


@dataclass
class Reply:
    text: str = "Das steht in der Quelle [1]."
    mode: Mode = "ok"
    # seconds between two streamed pieces
    chunk_delay: float = 0.0
    # seconds before anything is sent in "slow" mode
    delay: float = 5.0
    # the answer in "status" mode
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)


def pieces(text: str) -> list[str]:
    """Split like a tokenizer roughly would: words with their following space."""
    out: list[str] = []
    for word in text.split(" "):
        out.append(word + " ")
    out[-1] = out[-1][:-1]
    return [piece for piece in out if piece]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that gave up (timeout test) breaks the pipe: expected, not worth a traceback
        logger.debug("fake openai: client %s went away: %r", client_address, sys.exc_info()[1])


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        # time.monotonic() of each request's arrival, in the order of ``requests``
        self.arrivals: list[float] = []
        self.paths: list[str] = []
        self.default = Reply()
        self._queued: deque[Reply] = deque()
        self._lock = threading.Lock()
        # set when a client went away while a stream was still being written
        self.client_gone = threading.Event()
        self.finished_streams = 0
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queued.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._queued.popleft() if self._queued else self.default

    @property
    def chat_requests(self) -> list[dict]:
        return [request for request in self.requests if request.get("stream")]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoints
            # each event is a small write; with Nagle on it would wait for the client's
            # delayed ACK (~40 ms), which no real endpoint makes a client wait
            disable_nagle_algorithm = True

            def log_message(self, format, *args):
                logger.debug("fake openai: %s", format % args)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    fake.arrivals.append(time.monotonic())
                    fake.paths.append(self.path)
                if not self.path.split("?")[0].endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request"}})
                    return
                reply = fake.next_reply()
                if reply.mode == "http500":
                    self._json(500, {"error": {"message": "upstream broke", "type": "server"}})
                elif reply.mode == "status":
                    error = {"message": f"as told: {reply.status}", "type": "test"}
                    self._json(reply.status, {"error": error}, reply.headers)
                elif reply.mode == "slow":
                    time.sleep(reply.delay)
                    self._json(500, {"error": {"message": "too late", "type": "server"}})
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._complete(body, reply)

            def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _usage(self, body: dict, completion: int) -> dict:
                prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
                prompt //= 4
                return {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }

            def _complete(self, body: dict, reply: Reply) -> None:
                self._json(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": self._usage(body, len(pieces(reply.text))),
                    },
                )

            def _event(self, data: str) -> None:
                event = f"data: {data}\n\n".encode()
                self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                self.wfile.flush()

            def _chunk(self, body: dict, delta: dict, finish: str | None, **extra) -> str:
                return json.dumps(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
                        if delta is not None
                        else [],
                        **extra,
                    }
                )

            def _stream(self, body: dict, reply: Reply) -> None:
                # As the real API: HTTP/1.1, chunked, the connection kept for the next request.
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self._stream_events(body, reply)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    fake.client_gone.set()
                    self.close_connection = True

            def _stream_events(self, body: dict, reply: Reply) -> None:
                if reply.mode == "garbage":
                    self._event("<html><body>502 Bad Gateway</body></html>")
                    self._event("[DONE]")
                    return
                self._event(self._chunk(body, {"role": "assistant", "content": ""}, None))
                if reply.mode == "error_event":
                    error = {"message": "The server is overloaded", "type": "server_error"}
                    self._event(json.dumps({"error": error}))
                    return
                text = reply.text if reply.mode != "empty" or reply.text.isspace() else ""
                for piece in pieces(text) if text.strip() else ([text] if text else []):
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    self._event(self._chunk(body, {"content": piece}, None))
                if reply.mode == "error_after_text":
                    error = {"message": "The server is overloaded", "type": "server_error"}
                    self._event(json.dumps({"error": error}))
                    return
                self._event(self._chunk(body, {}, "length" if reply.mode == "length" else "stop"))
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage = self._usage(body, len(pieces(reply.text)))
                    self._event(self._chunk(body, None, None, usage=usage))
                self._event("[DONE]")
                with fake._lock:
                    fake.finished_streams += 1

        return Handler


def main() -> None:
    """``python -m tests.fake_openai [REPLY]``: serve in a process of its own until killed,
    printing the base URL first (benchmarks keep it out of their client's GIL)."""
    with FakeOpenAI() as fake:
        if len(sys.argv) > 1:
            fake.default = Reply(sys.argv[1])
        sys.stdout.write(fake.base_url + "\n")
        sys.stdout.flush()
        threading.Event().wait()


if __name__ == "__main__":
    main()
