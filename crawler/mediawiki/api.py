"""What a wiki crawl asks the MediaWiki action API, one function per question.

Every list follows the API's ``continue`` until it ends. Redirects are no pages of their own:
a move leaves one at the old title, and the old title then leaves the index.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from crawler.config import MediaWikiConfig
from crawler.mediawiki.client import WikiApiError, WikiClient, WikiError

# titles per query (the API's limit for a client without apihighlimits)
TITLES_PER_QUERY = 50


class WikiLoginFailed(WikiError):
    """The wiki refused the user name or bot password."""


@dataclass(frozen=True)
class ListedPage:
    page_id: int
    title: str
    revision: int
    url: str
    language: str = ""


def login(client: WikiClient, wiki: MediaWikiConfig) -> None:
    """Log in with a bot password (Special:BotPasswords: ``User@app`` and its password)."""
    tokens = client.get({"action": "query", "meta": "tokens", "type": "login"})
    token = tokens.get("query", {}).get("tokens", {}).get("logintoken", "")
    answer = client.post(
        {"action": "login", "lgname": wiki.username, "lgpassword": wiki.password, "lgtoken": token}
    )
    result = answer.get("login", {})
    if result.get("result") != "Success":
        reason = result.get("reason") or result.get("result") or "no reason given"
        raise WikiLoginFailed(f"the wiki refused the login of {wiki.username}: {reason}")


def _pages_of(client: WikiClient, params: dict) -> Iterator[ListedPage]:
    params = {"action": "query", "prop": "info", "inprop": "url", **params}
    carry: dict = {}
    while True:
        answer = client.get({**params, **carry})
        for page in answer.get("query", {}).get("pages", []):
            if page.get("missing") or page.get("redirect") or "lastrevid" not in page:
                continue
            yield ListedPage(
                page_id=int(page["pageid"]),
                title=str(page["title"]),
                revision=int(page["lastrevid"]),
                url=str(page["fullurl"]),
                language=str(page.get("pagelanguagehtmlcode") or page.get("pagelanguage") or ""),
            )
        carry = answer.get("continue") or {}
        if not carry:
            return


def list_pages(client: WikiClient, wiki: MediaWikiConfig) -> dict[str, ListedPage]:
    """The pages in scope with their current revision, by title: the categories' members
    (within the namespaces, if any are given), else every page of the namespaces (default:
    the main namespace)."""
    found: dict[str, ListedPage] = {}
    if wiki.categories:
        for category in wiki.categories:
            params = {
                "generator": "categorymembers",
                "gcmtitle": f"Category:{category}",
                "gcmtype": "page",
                "gcmlimit": "max",
            }
            if wiki.namespaces:
                params["gcmnamespace"] = "|".join(str(n) for n in wiki.namespaces)
            found.update((p.title, p) for p in _pages_of(client, params))
        return found
    for namespace in wiki.namespaces or (0,):
        params = {
            "generator": "allpages",
            "gapnamespace": str(namespace),
            "gapfilterredir": "nonredirects",
            "gaplimit": "max",
        }
        found.update((p.title, p) for p in _pages_of(client, params))
    return found


def logged_changes(client: WikiClient, since: str) -> dict[str, str]:
    """Titles deleted or moved away since ``since`` (ISO time): title -> why, from the
    deletion and move logs."""
    changes: dict[str, str] = {}
    for log_type in ("delete", "move"):
        params = {
            "action": "query",
            "list": "logevents",
            "letype": log_type,
            "lestart": since,
            "ledir": "newer",
            "lelimit": "max",
            "leprop": "title|type|details",
        }
        carry: dict = {}
        while True:
            answer = client.get({**params, **carry})
            for event in answer.get("query", {}).get("logevents", []):
                title = event.get("title")
                if not title:
                    continue
                if log_type == "move":
                    target = (event.get("params") or {}).get("target_title", "")
                    changes[title] = f"moved in the wiki to {target}"
                elif event.get("action") == "delete":
                    changes[title] = "deleted in the wiki"
            carry = answer.get("continue") or {}
            if not carry:
                break
    return changes


def title_urls(client: WikiClient, titles: list[str]) -> dict[str, str]:
    """The article URL of each title, existing or not (a deleted page keeps its address)."""
    urls: dict[str, str] = {}
    for start in range(0, len(titles), TITLES_PER_QUERY):
        batch = titles[start : start + TITLES_PER_QUERY]
        answer = client.get(
            {"action": "query", "prop": "info", "inprop": "url", "titles": "|".join(batch)}
        )
        for page in answer.get("query", {}).get("pages", []):
            if page.get("fullurl") and page.get("title"):
                urls[str(page["title"])] = str(page["fullurl"])
    return urls


@dataclass(frozen=True)
class RenderedPage:
    title: str
    revision: int
    body: bytes


def render(client: WikiClient, page: ListedPage, wiki: MediaWikiConfig) -> RenderedPage:
    """The page as readers see it: the wiki's own parser (templates expanded), as one HTML
    document with the title as <h1> and the section headings' anchors kept."""
    answer = client.get(
        {
            "action": "parse",
            "pageid": str(page.page_id),
            "prop": "text|revid",
            "disableeditsection": "1",
            "disabletoc": "1",
            "disablelimitreport": "1",
        },
        max_bytes=wiki.max_page_bytes,
        timeout_s=wiki.parse_timeout_s,
    )
    parsed = answer.get("parse") or {}
    text = parsed.get("text")
    if not isinstance(text, str):
        raise WikiApiError("no-text", "the parser returned no text for this page")
    title = str(parsed.get("title") or page.title)
    lang = html.escape(page.language or "", quote=True)
    document = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{text}</main></body></html>"
    )
    return RenderedPage(title, int(parsed.get("revid") or page.revision), document.encode())
