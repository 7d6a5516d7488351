"""Local HTTP servers that stand in for a webhook receiver, Zammad and Chatwoot.

Each is a real HTTP server on 127.0.0.1 in a thread; ``answer`` decides the reply to every
request from what was asked (method, path, headers, parsed JSON body), so a stand-in checks
what its real counterpart requires and refuses what it would refuse. ``requests`` keeps them
all for the test to read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self):
        return json.loads(self.raw) if self.raw else None


Answer = Callable[[Seen], tuple[int, object]]


@dataclass
class Receiver:
    answer: Answer
    requests: list[Seen] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                receiver.requests.append(seen)
                status, body = receiver.answer(seen)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def refuse(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": message}
