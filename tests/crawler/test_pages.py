"""Page functions, retry parsing and failure reasons, on inline bodies."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse, Response
from twisted.internet.error import DNSLookupError

from crawler.middlewares import backoff_seconds, retry_after_seconds
from crawler.netguard import NetGuard
from crawler.pages import (
    classify_body,
    link_texts,
    links_of,
    robots_meta,
    sitemap_entries,
    title_of,
)
from crawler.resolver import GuardedResolver


@pytest.mark.parametrize(
    ("content_type", "url", "head", "kind"),
    [
        ("text/html", "https://e.org/", b"<html>", "html"),
        ("application/xhtml+xml", "https://e.org/", b"<html>", "html"),
        ("text/html", "https://e.org/report.pdf", b"<html>", "html"),
        ("application/pdf", "https://e.org/download", b"%PDF-1.7", "pdf"),
        ("application/pdf", "https://e.org/x.pdf", b"<html>error</html>", ""),
        ("application/octet-stream", "https://e.org/file", b"%PDF-1.4", "pdf"),
        ("", "https://e.org/file", b"  <!DOCTYPE html><html>", "html"),
        ("image/png", "https://e.org/x.pdf", b"\x89PNG", ""),
        ("application/zip", "https://e.org/x", b"PK", ""),
    ],
)
def test_classify_body(content_type, url, head, kind):
    assert classify_body(content_type, url, head) == kind


def page(body: str, headers=None) -> HtmlResponse:
    return HtmlResponse(
        "https://e.org/dir/page", body=body.encode(), encoding="utf-8", headers=headers
    )


def test_links_are_absolute_and_unique():
    response = page(
        '<a href="a">1</a><a href="/b#x">2</a><a href="a">3</a><a href="#top">4</a>'
        '<a href="https://other.org/">5</a><map><area href="c"></map><a>none</a>'
    )
    assert links_of(response) == [
        "https://e.org/dir/a",
        "https://e.org/b#x",
        "https://other.org/",
        "https://e.org/dir/c",
    ]


def test_links_respect_base_href():
    response = page('<head><base href="https://e.org/base/"></head><a href="x">x</a>')
    assert links_of(response) == ["https://e.org/base/x"]


def test_no_links_in_binary_responses():
    assert links_of(Response("https://e.org/x.pdf", body=b"%PDF-1.4")) == []


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("<title>  Hello\n world </title><h1>H</h1>", "Hello world"),
        ("<h1>Only heading</h1>", "Only heading"),
        ("<p>nothing</p>", ""),
    ],
)
def test_title(body, title):
    assert title_of(page(body)) == title


def test_robots_meta_and_header():
    response = page(
        '<meta name="ROBOTS" content="NoIndex, follow">', headers={"X-Robots-Tag": "nofollow"}
    )
    assert robots_meta(response) == {"noindex", "follow", "nofollow"}


URLSET = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://e.org/a</loc></url><url><loc>https://e.org/b</loc></url></urlset>"
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (URLSET, ("urlset", ["https://e.org/a", "https://e.org/b"])),
        (gzip.compress(URLSET), ("urlset", ["https://e.org/a", "https://e.org/b"])),
        (
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>https://e.org/s1.xml</loc></sitemap></sitemapindex>",
            ("sitemapindex", ["https://e.org/s1.xml"]),
        ),
        (b"not xml at all", ("", [])),
        (b"\x1f\x8bbroken gzip", ("", [])),
    ],
)
def test_sitemap_entries(body, expected):
    assert sitemap_entries(body) == expected


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"120", 120.0),
        (b" 5 ", 5.0),
        (b"Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        (b"Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        (b"soon", None),
        (None, None),
        (b"", None),
    ],
)
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(("attempt", "low", "high"), [(0, 0.5, 1), (2, 2, 4), (10, 30, 60)])
def test_backoff_seconds(attempt, low, high):
    assert low <= backoff_seconds(attempt, base=1.0, cap=60.0) <= high


def test_resolver_refuses_private_answers():
    resolver = GuardedResolver(None, 0, 5.0, NetGuard(["10.0.0.0/8", "intranet.test"]))
    assert resolver.refuse_non_public("93.184.215.14", "example.org") == "93.184.215.14"
    assert resolver.refuse_non_public("10.1.1.1", "wiki.test") == "10.1.1.1"
    assert resolver.refuse_non_public("192.168.1.1", "intranet.test") == "192.168.1.1"
    with pytest.raises(DNSLookupError, match="refused_address: private"):
        resolver.refuse_non_public("192.168.1.1", "rebound.example.org")
    with pytest.raises(DNSLookupError, match="cloud_metadata"):
        resolver.refuse_non_public("169.254.169.254", "example.org")


def test_link_texts_name_the_linked_documents():
    body = (
        b"<html><body><a href='/f/satzung.pdf'>  Satzung\n des <b>Vereins</b> </a>"
        b"<a href='/f/satzung.pdf'>hier</a><a href='/f/logo.png'><img alt='Unser Logo'></a>"
        b"<a href='/f/plan.docx?v=2' title='Hallenplan'></a><a href='/empty.pdf'></a>"
        b"<a href='/seite/'>Eine Seite</a><a href='/a.html'>HTML</a><a href='#top'>Top</a>"
        b"</body></html>"
    )
    response = HtmlResponse("https://verein.example/a/", body=body)
    assert link_texts(response) == {
        "https://verein.example/f/satzung.pdf": "Satzung des Vereins",  # the first link wins
        "https://verein.example/f/logo.png": "Unser Logo",
        "https://verein.example/f/plan.docx?v=2": "Hallenplan",
    }


def test_links_to_pages_get_no_link_text():
    anchors = "".join(f"<a href='/p/{i}'>Seite {i}</a>" for i in range(10_000))
    response = HtmlResponse("https://verein.example/", body=f"<html>{anchors}</html>".encode())
    assert link_texts(response) == {}
