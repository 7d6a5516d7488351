"""A site that does everything wrong: the crawl still finishes within its limits, every
problem is in the per-URL log, and nothing crashes."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from urllib.parse import quote

import pytest

from crawler.store import PageStoreConfig
from tests.crawler.sites import PDF_BODY, Answer, Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(120)

UMLAUT_PDF = "/Satzung Verein ÄÖÜ.pdf"
SPACE_PDF = "/Beitragsordnung 2026.pdf"


def drip_server():
    """Answers headers, then one byte every half second, forever (until the client leaves)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn):
        try:
            conn.recv(4096)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            )
            while True:
                conn.sendall(b"x")
                time.sleep(0.5)
        except OSError:
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


def hostile_routes(drip_port: int) -> dict:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros in ~64 KB
    links = [
        "/malformed",
        "/no-type",
        "/bomb",
        "/loop-a",
        "/hang",
        "/many-links",
        "/latin1",
        quote(UMLAUT_PDF),
        SPACE_PDF,
        f"http://127.0.0.1:{drip_port}/drip",
        "/binary-as-html",
    ]
    many = html("Many", *(f"/p/{i}" for i in range(10_000)))
    routes = {
        "/": html("Start", *links),
        "/malformed": Answer(
            body=b"<html><head><title>Kaputt</titl><body><a href='/'>x<div><p><a href=\"/latin1",
            headers={"Content-Type": "text/html"},
        ),
        "/no-type": Answer(body=b"<html><title>Ohne Typ</title>Text</html>"),
        "/bomb": Answer(
            body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        ),
        "/loop-a": Answer(302, headers={"Location": "/loop-b"}),
        "/loop-b": Answer(302, headers={"Location": "/loop-a"}),
        "/hang": Answer(
            body=b"<html>late</html>", headers={"Content-Type": "text/html"}, delay_s=8
        ),
        "/many-links": many,
        "/latin1": Answer(
            body="<html><head><title>Grüße aus Köln</title></head><body>Über uns</body></html>".encode(
                "latin-1"
            ),
            headers={"Content-Type": "text/html; charset=iso-8859-1"},
        ),
        quote(UMLAUT_PDF): Answer(body=PDF_BODY, headers={"Content-Type": "application/pdf"}),
        quote(SPACE_PDF): Answer(body=PDF_BODY, headers={"Content-Type": "application/pdf"}),
        "/binary-as-html": Answer(
            body=bytes(range(256)) * 100, headers={"Content-Type": "text/html"}
        ),
    }
    for i in range(10_000):
        routes[f"/p/{i}"] = html(f"P{i}")
    return routes


def test_hostile_site_is_crawled_within_limits(tmp_path):
    listener = drip_server()
    drip_port = listener.getsockname()[1]
    store = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    try:
        with Site(hostile_routes(drip_port), etags=False) as site:
            config = config_for(
                site,
                max_pages=60,
                max_depth=3,
                # /hang and /drip need it; under load a real PDF took more than 2 s
                request_timeout_s=8,
                max_response_bytes=1024 * 1024,
                retry_times=0,
                time_limit_s=60,
            )
            started = time.monotonic()
            result, events = crawl(config, store)
            took = time.monotonic() - started
    finally:
        listener.close()

    assert result.finish_reason != "crashed" and result.returncode == 0
    assert took < 60
    urls = by_url(events)
    base = site.base

    def event(path):
        matches = [e for url, e in urls.items() if url.startswith(base + path)]
        assert matches, f"no event for {path}: {sorted(urls)[:20]}"
        return matches[0]

    assert event("/malformed")["outcome"] == "fetched_new"
    assert event("/latin1")["title"] == "Grüße aus Köln"
    assert event("/bomb")["outcome"] in ("failed", "skipped")
    assert event("/bomb")["reason"] == "too_large"
    assert event("/hang")["outcome"] == "failed" and event("/hang")["reason"] == "timeout"
    loop = [e for url, e in urls.items() if "/loop-" in url]
    assert loop and all(e["outcome"] in ("failed", "skipped") for e in loop)
    drip = [e for url, e in urls.items() if "/drip" in url]
    assert drip and drip[0]["outcome"] == "failed"
    for path in (quote(UMLAUT_PDF), quote(SPACE_PDF)):
        pdf = event(path)
        assert pdf["outcome"] == "fetched_new" and pdf["kind"] == "pdf", pdf
    # 10,000 links: bounded by max_pages, not a crash or a hang.
    fetched = [e for e in urls.values() if e["outcome"].startswith("fetched")]
    assert len(fetched) <= 60
    assert result.finish_reason == "max_pages" and not result.complete
