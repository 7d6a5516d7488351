"""HTML pages: decode, keep the main content, split it into blocks (rag.parsing.html_blocks)."""

from __future__ import annotations

import logging
import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from rag.errors import DocumentParseError, EmptyDocumentError
from rag.models import Block, ParsedDocument
from rag.parsing.faq import restructure_faq
from rag.parsing.html_blocks import html_blocks
from rag.parsing.language import detect_language
from rag.parsing.titles import choose_title

logger = logging.getLogger(__name__)

HTML_PARSER_VERSION = (
    "html-5"  # html-4: own block splitter, title candidates, FAQ markup as headings; 5: anchors
)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SPACES = re.compile(r"\s+")
_ANCHOR_MARKS = frozenset({"", "#", "¶", "§", "🔗", "link", "permalink"})
# a few hundred words carry enough function words to tell German from English
_LANGUAGE_SAMPLE_CHARS = 4000
_META_REFRESH = '//meta[translate(@http-equiv, "REFSH", "refsh")="refresh"]/@content'

# Page chrome that never answers a visitor's question.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "nav", "aside", "button", "select", "dialog", "menu",
)  # fmt: skip
_DROP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alertdialog"}
)
# class/id tokens of cookie banners, menus and the like (matched as a token prefix)
_CHROME_TOKEN = re.compile(
    r"^(cookie|consent|gdpr|cmp|onetrust|borlabs|usercentrics|cc-window|cc-banner|breadcrumb"
    r"|skip-?link|skip-?nav|navbar|nav-|navigation|main-?menu|menu|offcanvas|sidebar|social"
    r"|share|sharing|newsletter|site-?header|site-?footer|page-?footer|footer|topbar|toolbar"
    r"|print-?only|sr-only|visually-?hidden)",
    re.I,
)


def decode_html(body: bytes, encoding: str | None = None) -> str:
    """Text of a page: the HTTP charset if given and valid, else ``<meta charset>``, else
    UTF-8, else whatever charset_normalizer guesses."""
    candidates = [encoding] if encoding else []
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for candidate in [*candidates, "utf-8"]:
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("cp1252", errors="replace")


def _is_chrome(element: HtmlElement) -> bool:
    if (element.get("role") or "").lower() in _DROP_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    if "display:none" in style:
        return True
    tokens = (element.get("class") or "").split() + (element.get("id") or "").split()
    return any(_CHROME_TOKEN.match(token) for token in tokens)


def _drop(element: HtmlElement | etree.CommentBase) -> None:
    # drop_tree keeps the element's tail text, which belongs to the parent
    element.drop_tree()


def _text_of(element: HtmlElement | None) -> str:
    if element is None:
        return ""
    return _SPACES.sub(" ", element.text_content()).strip()


def _page_titles(root: HtmlElement) -> list[str]:
    """Title candidates, best first: og:title, <title>, <h1> (rag.parsing.titles picks)."""
    titles = []
    for xpath in ('//meta[@property="og:title"]/@content', "//title", "//h1"):
        found = root.xpath(xpath)
        if found:
            value = found[0] if isinstance(found[0], str) else _text_of(found[0])
            titles.append(_SPACES.sub(" ", value).strip())
    return titles


def _main_content(root: HtmlElement) -> HtmlElement:
    """The page's main region: <main>, role=main, or a lone <article>; else <body>."""
    for xpath in ("//main", '//*[@role="main"]'):
        found = root.xpath(xpath)
        if found:
            return found[0]
    articles = root.xpath("//article")
    if len(articles) == 1:
        return articles[0]
    body = root.find("body")
    return body if body is not None else root


def _text_sample(element: HtmlElement, limit: int) -> str:
    """The first ``limit`` or so characters of an element's text: enough words to tell the
    language, without joining and scanning the whole of a long page."""
    parts: list[str] = []
    size = 0
    for piece in element.itertext():
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return _SPACES.sub(" ", "".join(parts)).strip()


def clean_html(text: str) -> tuple[list[str], str, str, str, str]:
    """(title candidates, html lang attribute, meta refresh content, main markup without page chrome,
    the start of its plain text as a language sample)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise DocumentParseError(f"not parseable as HTML: {exc}") from exc
    titles = _page_titles(root)
    refresh = root.xpath(_META_REFRESH)
    lang = (root.get("lang") or "").split("-")[0].lower()
    for element in root.xpath("//comment()"):
        _drop(element)
    main = _main_content(root)
    # before chrome is dropped: accordion questions are buttons, their answers hidden panels
    restructure_faq(main)
    for element in list(main.iter(*_DROP_TAGS)):
        _drop(element)
    # only elements with one of these attributes can be chrome; XPath finds them in C
    marked = main.xpath(".//*[@role or @hidden or @aria-hidden or @style or @class or @id]")
    for element in [e for e in marked if _is_chrome(e)]:
        if element is not main and element.getparent() is not None:
            _drop(element)
    # page-level header/footer hold logos and legal links; inside an <article> a <header>
    # holds the headline, so only footers go there
    # permalink anchors ("#", "¶") beside headings would end up in every heading path
    for anchor in main.xpath(".//h1//a|.//h2//a|.//h3//a|.//h4//a|.//h5//a|.//h6//a"):
        if _text_of(anchor) in _ANCHOR_MARKS and anchor.getparent() is not None:
            _drop(anchor)
    header_xpath = ".//header|.//footer" if main.tag in ("body", "html") else ".//footer"
    for element in main.xpath(header_xpath):
        if element.getparent() is not None:
            _drop(element)
    markup = etree.tostring(main, encoding="unicode", method="html")
    redirect = str(refresh[0]).strip() if refresh else ""
    # the sample comes from the tree at hand; parsing the markup again would cost more
    sample = _text_sample(main, _LANGUAGE_SAMPLE_CHARS)
    return titles, lang, redirect, f"<html><body>{markup}</body></html>", sample


def parse_html(body: bytes, url: str, encoding: str | None = None) -> ParsedDocument:
    """Main text of an HTML page as blocks; raises EmptyDocumentError when nothing is left."""
    titles, lang_attr, redirect, markup, probe = clean_html(decode_html(body, encoding))
    language = detect_language(probe, default=lang_attr if lang_attr in ("de", "en") else "")
    blocks: list[Block] = []
    for block in html_blocks(markup):
        # repeated teasers or "read more" lines say nothing new the second time
        if not blocks or blocks[-1].text != block.text:
            blocks.append(block)
    if not blocks:
        if redirect:
            raise EmptyDocumentError(f"the page only redirects (meta refresh: {redirect})")
        raise EmptyDocumentError("the page has no text once navigation and boilerplate are gone")
    title = choose_title([*titles, *(b.text for b in blocks if b.kind == "heading")], url)
    return ParsedDocument(
        url=url,
        content_type="html",
        title=title,
        language=language,
        blocks=tuple(blocks),
        parser_version=HTML_PARSER_VERSION,
    )
