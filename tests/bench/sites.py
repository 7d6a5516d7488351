"""Local websites for crawl benchmarks, each served by its own process on 127.0.0.1.

``python -m tests.bench.sites generated --pages 2000`` or ``... static --root DIR`` starts a
threaded http.server and prints its port on the first line of stdout. A separate process
keeps the server's work off the GIL of whoever measures the crawl.

The generated site: ``/`` and ``/page/<n>``, each with a title, a few paragraphs and ten
links (the next page plus nine chosen by a fixed hash, so every page is reachable and every
run crawls the same graph). Bodies never change; each carries an ETag and a matching
If-None-Match gets a 304, so a recrawl transfers no bodies. With ``--sitemap`` it also has
a robots.txt naming /sitemap.xml, which lists every page with a fixed <lastmod> in the past,
as a CMS publishes it. With ``--last-modified`` every page carries a fixed Last-Modified in the
past, as static-site servers and many CMSs send it.

The static site: files under a folder via SimpleHTTPRequestHandler, which sends
Last-Modified and answers a matching If-Modified-Since with 304 (Python 3.7+).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LINKS_PER_PAGE = 10
WORDS = (
    "harbour pilot channel buoy tide chart beacon vessel anchor current depth course "
    "signal lantern quay berth helm starboard port ballast keel rudder compass"
).split()


def page_number(pages: int, page: int, i: int) -> int:
    digest = hashlib.sha256(f"{page}:{i}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % pages


def page_body(pages: int, page: int, sections: int = 0) -> bytes:
    links = [(page + 1) % pages] + [page_number(pages, page, i) for i in range(9)]
    anchors = "".join(f'<li><a href="/page/{n}">Page {n}</a></li>' for n in links)
    paragraphs = "".join(
        "<p>" + " ".join(WORDS[(page * 7 + p * 3 + w) % len(WORDS)] for w in range(60)) + "</p>"
        for p in range(4)
    )
    # sections: headed parts with a vocabulary of their own (a word every few is one of some
    # 20,000, as names, numbers and rare terms are on a real site), a chunk or more each
    for section in range(sections):
        words = [
            f"term{(page * 7919 + section * 104729 + w * 31) % 20000}"
            if w % 5 == 0
            else WORDS[(page + section * 5 + w) % len(WORDS)]
            for w in range(120)
        ]
        paragraphs += f"<h2>Section {section} of page {page}</h2><p>{' '.join(words)}</p>"
    return (
        f"<!doctype html><html><head><title>Page {page}</title></head><body>"
        f"<h1>Page {page}</h1>{paragraphs}<ul>{anchors}</ul></body></html>"
    ).encode()


PAGES_LAST_MODIFIED = "Mon, 05 Jan 2026 08:30:00 GMT"  # the sitemap's <lastmod> as well
SENT = {"bytes": 0}  # bytes written to clients by this site process
SENT_PATH = "/_bench/sent"  # answers the count (linked from nowhere: crawlers never see it)


class _CountingWriter:
    def __init__(self, raw) -> None:
        self.raw = raw

    def write(self, data) -> int:
        SENT["bytes"] += len(data)
        return self.raw.write(data)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


class _Counting:
    """Counts every byte the handler writes; GET /_bench/sent reports the total."""

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile)

    def send_sent(self) -> None:
        body = str(SENT["bytes"]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.raw.write(body)


class GeneratedHandler(_Counting, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real web server would
    # Headers and body go out in two writes; with Nagle on, the body then waits for the
    # client's delayed ACK (~40 ms per response), and both crawlers would measure that.
    disable_nagle_algorithm = True
    pages = 2000
    sections = 0
    sitemap = False
    last_modified = False

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == SENT_PATH:
            self.send_sent()
            return
        if self.sitemap and path in ("/robots.txt", "/sitemap.xml"):
            self._send(200, self._sitemap_file(path), "text/plain", None)
            return
        if path == "/":
            page = 0
        elif path.startswith("/page/") and path[6:].isdigit() and int(path[6:]) < self.pages:
            page = int(path[6:])
        else:
            self._send(404, b"not found", "text/plain", None)
            return
        body = page_body(self.pages, page, self.sections)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, etag)
        else:
            self._send(200, body, "text/html; charset=utf-8", etag)

    def _sitemap_file(self, path: str) -> bytes:
        base = f"http://{self.headers.get('Host')}"
        if path == "/robots.txt":
            return f"User-agent: *\nSitemap: {base}/sitemap.xml\n".encode()
        entries = "".join(
            f"<url><loc>{base}{'/' if n == 0 else f'/page/{n}'}</loc>"
            "<lastmod>2026-01-05T09:30:00+01:00</lastmod></url>"
            for n in range(self.pages)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        ).encode()

    def _send(self, status: int, body: bytes, content_type: str | None, etag: str | None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
        if etag and self.last_modified:
            self.send_header("Last-Modified", PAGES_LAST_MODIFIED)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


class QuietStaticHandler(_Counting, SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True  # see GeneratedHandler

    def do_GET(self) -> None:
        if self.path == SENT_PATH:
            self.send_sent()
        else:
            super().do_GET()

    def log_message(self, format: str, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a crawler opening 16 connections at once gets
    # some SYNs dropped and waits a whole second to resend them, a stall no real web server
    # causes (the static site speaks HTTP/1.0, a connection per request, so this is frequent)
    request_queue_size = 128


def serve(handler) -> None:
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


class SiteProcess:
    """A site in a child process; ``base`` is its URL. Use as a context manager."""

    def __init__(self, *args: str):
        self.args = args
        self.process: subprocess.Popen | None = None
        self.base = ""

    def __enter__(self) -> SiteProcess:
        repo = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.sites", *self.args],
            cwd=repo,
            stdout=subprocess.PIPE,
            text=True,
        )
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.process.kill()
            raise RuntimeError(f"site process did not start: {port!r}")
        self.base = f"http://127.0.0.1:{port}"
        return self

    def sent_bytes(self) -> int:
        """Bytes the site has sent so far (headers and bodies)."""
        import urllib.request

        with urllib.request.urlopen(self.base + SENT_PATH, timeout=10) as response:
            return int(response.read())

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="kind", required=True)
    generated = sub.add_parser("generated")
    generated.add_argument("--pages", type=int, default=2000)
    generated.add_argument("--sections", type=int, default=0, help="extra headed sections")
    generated.add_argument("--sitemap", action="store_true", help="robots.txt and a sitemap")
    generated.add_argument("--last-modified", action="store_true", help="a Last-Modified header")
    static = sub.add_parser("static")
    static.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    if args.kind == "generated":
        attributes = {
            "pages": args.pages,
            "sections": args.sections,
            "sitemap": args.sitemap,
            "last_modified": args.last_modified,
        }
        serve(type("Handler", (GeneratedHandler,), attributes))
    else:
        serve(partial(QuietStaticHandler, directory=args.root))


if __name__ == "__main__":
    main()
