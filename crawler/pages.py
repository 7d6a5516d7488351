"""Page functions: what a response is, its title, its links, a sitemap's entries.

Plain functions over Scrapy responses or bytes, tested with inline bodies.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
# Servers that do not know better send PDFs as one of these.
GENERIC_TYPES = frozenset(
    {"application/octet-stream", "binary/octet-stream", "application/download"}
)
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for an uncompressed file


def media_type(response: Response) -> str:
    raw = response.headers.get(b"Content-Type", b"") or b""
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()


def classify_body(content_type: str, url: str, head: bytes) -> str:
    """ "html", "pdf" or "" — by Content-Type first, by the body only for generic types.

    The URL's extension alone never decides: "/report.pdf" may be an HTML error page.
    """
    if content_type in HTML_TYPES:
        return "html"
    if content_type in PDF_TYPES:
        return "pdf" if head.lstrip()[:5] == b"%PDF-" else ""
    if content_type in GENERIC_TYPES or not content_type:
        stripped = head.lstrip()[:64].lower()
        if stripped.startswith(b"%pdf-"):
            return "pdf"
        if not content_type and stripped.startswith((b"<!doctype html", b"<html")):
            return "html"
    return ""


def title_of(response: Response) -> str:
    if not isinstance(response, TextResponse):
        return ""
    title = response.xpath("normalize-space(//title)").get() or ""
    if not title:
        title = response.xpath("normalize-space(//h1)").get() or ""
    return title[:500]


def robots_meta(response: Response) -> set[str]:
    """Directives of <meta name="robots"> (and the X-Robots-Tag header), lower-cased."""
    directives: set[str] = set()
    header = response.headers.getlist(b"X-Robots-Tag")
    for value in header:
        directives.update(d.strip().lower() for d in value.decode("latin-1").split(","))
    if isinstance(response, TextResponse):
        for content in response.xpath(
            "//meta[translate(@name,'ROBOTS','robots')='robots']/@content"
        ).getall():
            directives.update(d.strip().lower() for d in content.split(","))
    return directives


def links_of(response: Response) -> list[str]:
    """Absolute URLs of the page's links, in page order, without duplicates."""
    if not isinstance(response, TextResponse):
        return []
    hrefs = response.xpath("//a/@href | //area/@href").getall()
    found: dict[str, None] = {}
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        try:
            found[response.urljoin(href)] = None
        except ValueError:
            continue
    return list(found)


MAX_LINK_TEXT = 300
# a link's path ends in a file extension other than a web page's
_FILE_LINK = re.compile(r"\.(?!html?\b|php\b|aspx?\b|jsp\b)[A-Za-z0-9]{2,5}(?:[?#].*)?$")


def link_texts(response: Response) -> dict[str, str]:
    """Absolute URL -> the text of the first link to it on the page (or its image's alt
    text, or its title attribute): what the site calls the linked document.

    Only links to files ("/satzung.pdf", "/flyer.docx"): a page has its own <title>, and a
    page can have 10,000 links, whose joining and XPath querying would hold up the crawl's
    event loop for a second each time. The tree is walked once."""
    if not isinstance(response, TextResponse):
        return {}
    texts: dict[str, str] = {}
    for anchor in response.selector.root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not _FILE_LINK.search(href):
            continue
        text = " ".join("".join(anchor.itertext()).split())
        if not text:
            image = next(anchor.iter("img"), None)
            text = " ".join(((image.get("alt") if image is not None else "") or "").split())
        text = text or " ".join((anchor.get("title") or "").split())
        if not text:
            continue
        try:
            url = response.urljoin(href)
        except ValueError:
            continue
        texts.setdefault(url, text[:MAX_LINK_TEXT])
    return texts


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    # The latest instant the sitemap's <lastmod> can mean, in UTC; None when absent or unusable.
    lastmod: datetime | None = None


def lastmod_bound(text: str | None) -> datetime | None:
    """The latest UTC instant a W3C-datetime ``<lastmod>`` can stand for, or None.

    Read pessimistically, because a page is only skipped when its lastmod is *older* than our
    copy: a date alone is the end of that day anywhere on earth, a time without a zone the
    same time in the westernmost zone (UTC-12).
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) <= 10:  # YYYY, YYYY-MM or YYYY-MM-DD
            parts = [int(part) for part in text.split("-")] + [1, 1]
            day = date(parts[0], parts[1] or 1, parts[2] or 1)
            if len(text) == 4:
                day = date(day.year + 1, 1, 1) - timedelta(days=1)
            elif len(text) == 7:
                day = date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)
            return datetime.combine(day, time.max, tzinfo=UTC) + timedelta(hours=12)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC) + timedelta(hours=12)
    return moment.astimezone(UTC)


def sitemap_urls(body: bytes) -> tuple[str, list[SitemapEntry]]:
    """("urlset" | "sitemapindex" | "", entries with their lastmod) of a sitemap."""
    kind, entries = _sitemap(body)
    return kind, [
        SitemapEntry(entry["loc"], lastmod_bound(entry.get("lastmod"))) for entry in entries
    ]


def sitemap_entries(body: bytes) -> tuple[str, list[str]]:
    """("urlset" | "sitemapindex" | "", locations) of a sitemap, gzipped or not."""
    kind, entries = _sitemap(body)
    return kind, [entry["loc"] for entry in entries]


def _sitemap(body: bytes) -> tuple[str, list[dict]]:
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                body = fh.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError):
            logger.info("sitemap is not valid gzip")
            return "", []
        if len(body) > MAX_SITEMAP_BYTES:
            logger.info("sitemap larger than %s bytes ignored", MAX_SITEMAP_BYTES)
            return "", []
    try:
        sitemap = Sitemap(body)
    except Exception:  # lxml raises several kinds for broken XML; all mean "not a sitemap"
        logger.info("sitemap is not valid XML")
        return "", []
    return sitemap.type or "", [entry for entry in _entries(sitemap) if entry.get("loc")]


def _entries(sitemap: Sitemap) -> Iterator[dict]:
    try:
        yield from sitemap
    except Exception:  # a broken tail still leaves the entries read so far
        logger.info("sitemap broken part way; keeping the entries read")
