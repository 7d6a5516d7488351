"""Raw page bytes -> :class:`rag.models.ParsedDocument`, cached on disk by content hash."""

from __future__ import annotations

import logging
from dataclasses import replace

from rag.config import ParsingConfig
from rag.errors import UnsupportedContentTypeError
from rag.models import ParsedDocument
from rag.parsing import cache
from rag.parsing.html import HTML_PARSER_VERSION, parse_html
from rag.parsing.language import detect_language
from rag.parsing.office import OFFICE_PARSER_VERSION, parse_docx, parse_odt
from rag.parsing.pdf import PDF_PARSER_VERSION, parse_pdf
from rag.parsing.text import TEXT_PARSER_VERSION, parse_text
from rag.parsing.titles import choose_title, is_url_name

logger = logging.getLogger(__name__)

__all__ = ["detect_language", "document_kind", "parse", "parse_html", "parse_pdf"]


# uploaded files (rag.parsing.sniff) besides pages and PDFs
_UPLOAD_KINDS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "text/plain": "text",
    "text/markdown": "markdown",
}


def document_kind(content_type: str, body: bytes = b"") -> str:
    """ "html" or "pdf" from the HTTP Content-Type, sniffing the body when the server is vague;
    "docx", "odt", "text" or "markdown" for the content types uploads are stored with."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in _UPLOAD_KINDS:
        return _UPLOAD_KINDS[mime]
    if mime == "application/pdf" or (
        mime in ("", "application/octet-stream") and body[:5] == b"%PDF-"
    ):
        return "pdf"
    if mime in ("text/html", "application/xhtml+xml") or (
        mime == "" and b"<html" in body[:2048].lower()
    ):
        return "html"
    raise UnsupportedContentTypeError(f"content type {content_type or '(none)'} is not HTML or PDF")


def _fingerprint(kind: str, config: ParsingConfig) -> str:
    # everything that changes the parse result belongs in the cache key
    if kind == "pdf":
        return (
            f"{PDF_PARSER_VERSION}|ocr={config.ocr_enabled}|{config.ocr_languages}|{config.ocr_dpi}"
            f"|{config.ocr_min_chars_per_page}|{config.ocr_max_pages}|{config.max_pdf_pages}"
        )
    if kind in ("docx", "odt"):
        return f"{OFFICE_PARSER_VERSION}|{kind}|unpacked={config.max_unpacked_bytes}"
    if kind in ("text", "markdown"):
        return f"{TEXT_PARSER_VERSION}|{kind}"
    return f"{HTML_PARSER_VERSION}|blocks"


def parse(
    body: bytes,
    content_type: str,
    url: str,
    config: ParsingConfig,
    encoding: str | None = None,
    title_hint: str = "",
) -> ParsedDocument:
    """Parse HTML or PDF (or an uploaded DOCX, ODT, text or Markdown file). Raises a :class:`rag.errors.PermanentError` for input that will never
    parse (broken, encrypted, empty, unsupported); those are not cached, so a parser fix helps.

    ``title_hint`` (the text of the link that led to the document) becomes the title when
    the document has none of its own but a name from its URL."""
    document = _parse(body, content_type, url, config, encoding)
    if title_hint and is_url_name(document.title, url):
        document = replace(document, title=choose_title([title_hint], url))
    return document


def _parse(
    body: bytes, content_type: str, url: str, config: ParsingConfig, encoding: str | None
) -> ParsedDocument:
    kind = document_kind(content_type, body)
    key = ""
    if config.cache_dir:
        key = cache.cache_key(body, kind, _fingerprint(kind, config) + f"|enc={encoding}")
        cached = cache.load(config.cache_dir, key, url)
        if cached is not None:
            logger.debug("parse cache hit for %s", url)
            return cached
    if kind == "pdf":
        document = parse_pdf(body, url, config)
    elif kind == "docx":
        document = parse_docx(body, url, config.max_unpacked_bytes)
    elif kind == "odt":
        document = parse_odt(body, url, config.max_unpacked_bytes)
    elif kind in ("text", "markdown"):
        document = parse_text(body, url, markdown=kind == "markdown")
    else:
        document = parse_html(body, url, encoding)
    if key:
        cache.store(config.cache_dir, key, document)
    return document
