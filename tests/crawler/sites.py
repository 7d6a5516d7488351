"""Small local websites for crawl tests: http.server in a thread on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PDF_BODY = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Route = Answer | Callable[["Handler"], Answer]


def html(title: str, *links: str, extra: str = "") -> Answer:
    anchors = "".join(f'<a href="{href}">{href}</a>\n' for href in links)
    body = f"<!doctype html><html><head><title>{title}</title>{extra}</head>"
    body += f"<body><h1>{title}</h1>{anchors}</body></html>"
    return Answer(body=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


def gathering(answer: Answer, parties: int, timeout_s: float = 30.0) -> Route:
    """``answer``, once ``parties`` requests for it have arrived: whoever asks for it waits for
    the others, so the crawls asking are all under way together afterwards."""
    barrier = threading.Barrier(parties, timeout=timeout_s)

    def route(_handler: Handler) -> Answer:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Answer(503, b"the others never came", {"Content-Type": "text/plain"})
        return answer

    return route


class Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        started = time.monotonic()
        site = self.server
        path = self.path
        with site.lock:
            site.arrivals.append((time.time(), path))
            site.requests.append((path, dict(self.headers)))
        route = site.routes.get(path.split("?", 1)[0])
        if route is None:
            answer = Answer(404, b"not found", {"Content-Type": "text/plain"})
        else:
            answer = route(self) if callable(route) else route
        if answer.delay_s:
            time.sleep(answer.delay_s)
        headers = dict(answer.headers)
        if site.etags and answer.status == 200:
            etag = '"' + hashlib.sha256(answer.body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                answer = Answer(304, b"", {})
                headers = {"ETag": etag}
        with site.lock:
            # Noted before the answer goes out: the crawler can only act on the answer after
            # this moment, so the request it sends next arrives later (no tolerance needed).
            site.timings.append((started, time.monotonic(), path))
        self.send_response(answer.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        try:
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (size limit, cancellation)

    def log_message(self, format: str, *args) -> None:
        pass


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route], *, etags: bool = True):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.etags = etags
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        # (arrived, answered, path) per request, on time.monotonic (one clock for every
        # process of the machine); answered is when the answer began to go out.
        self.timings: list[tuple[float, float, str]] = []
        # (arrived, path) on the wall clock, as Redis's TIME (shared politeness) counts
        self.arrivals: list[tuple[float, str]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.requests]

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
