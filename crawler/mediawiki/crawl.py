"""One crawl of a MediaWiki source, in the crawl child (crawler.child), with the spider's
events, page store and completeness rules.

1. Log in (a bot password), if the source has one.
2. List the pages in scope with their current revision id (one list call per 500 pages).
3. Read the deletion and move logs since the last complete crawl: a deleted page, and the
   old title of a moved one, that the store holds for this source is gone at once.
4. For every listed page: the same revision as the stored copy -> unchanged (nothing is
   fetched); else the wiki's parser renders it (``action=parse``) and the HTML is stored like
   a crawled page, so the backend ingests it through the same path.

Only a crawl that listed every page and read the logs is complete; a wiki that is down or
refuses the login makes it incomplete, and nothing is marked gone. A page that fails (too
large, too slow to render, an API error) is logged failed and the crawl goes on.
"""

from __future__ import annotations

import logging
import threading

from crawler.config import CrawlConfig
from crawler.events import EventSink, Outcome, UrlEvent
from crawler.mediawiki.api import (
    ListedPage,
    WikiLoginFailed,
    list_pages,
    logged_changes,
    login,
    render,
    title_urls,
)
from crawler.mediawiki.client import (
    PageTooLarge,
    WikiApiError,
    WikiClient,
    WikiError,
    WikiUnreachable,
)
from crawler.store import ChangeKind, PageStore, content_hash_of, page_key

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/html; charset=utf-8"
OUTCOMES = {
    ChangeKind.NEW: Outcome.FETCHED_NEW,
    ChangeKind.CHANGED: Outcome.FETCHED_CHANGED,
    ChangeKind.UNCHANGED: Outcome.UNCHANGED,
}


def revision_tag(revision: int) -> str:
    """The validator kept with a wiki page's copy: its revision, as an ETag."""
    return f'"rev-{revision}"'


class WikiCrawl:
    def __init__(self, config: CrawlConfig, store: PageStore, sink: EventSink, client=None):
        assert config.mediawiki is not None
        self.config, self.wiki, self.store, self.sink = config, config.mediawiki, store, sink
        self.client = client or WikiClient(config)
        self.stop = threading.Event()
        self.parsed = 0
        self.transient_failures = 0

    def run(self) -> None:
        config, wiki = self.config, self.wiki
        self.sink.started(source_id=config.source_id, kind="mediawiki", api_url=wiki.api_url)
        try:
            pages, changes = self._survey()
        except WikiError as exc:
            self._unreachable(exc)
            self.client.close()
            return
        stopped = ""
        try:
            self._follow_logs(pages, changes)
            for title in sorted(pages):
                if self.stop.is_set():
                    stopped = "cancelled"
                    break
                if not self._visit(pages[title]) and not stopped:
                    stopped = "max_pages"
        except WikiError as exc:  # the logs' page addresses could not be read
            self._unreachable(exc)
            return
        finally:
            self.client.close()
        self._finish(stopped, len(pages))

    def _survey(self) -> tuple[dict[str, ListedPage], dict[str, str]]:
        if self.wiki.username:
            login(self.client, self.wiki)
        pages = list_pages(self.client, self.wiki)
        since = self.wiki.changes_since
        changes = logged_changes(self.client, since) if since else {}
        return pages, changes

    def _follow_logs(self, pages: dict[str, ListedPage], changes: dict[str, str]) -> None:
        """Deleted and moved-away titles that are not listed (again) leave the index."""
        listed = set(pages)
        titles = sorted(title for title in changes if title not in listed)
        if not titles:
            return
        for title, url in title_urls(self.client, titles).items():
            known = self.store.get_page(url)
            if known is None or known.gone or self.config.source_id not in known.sources:
                continue
            self.store.mark_gone(url, run_id=self.config.run_id)
            self.sink.url(UrlEvent(url=page_key(url), outcome=Outcome.GONE, reason=changes[title]))

    def _visit(self, page: ListedPage) -> bool:
        """Record one listed page; False when it was left out for the page limit."""
        url = page_key(page.url)
        stored = self.store.get_page(url)
        tag = revision_tag(page.revision)
        if (
            stored is not None
            and stored.has_body
            and stored.etag == tag
            and self.config.source_id in stored.sources
        ):
            self.store.record_fetch(
                url, source_id=self.config.source_id, status=200, not_modified=True,
                etag=tag, run_id=self.config.run_id,
            )  # fmt: skip
            self._event(url, Outcome.UNCHANGED, stored.content_hash, stored.title)
            return True
        if self.parsed >= self.config.max_pages:
            return False
        self.parsed += 1
        try:
            rendered = render(self.client, page, self.wiki)
        except (PageTooLarge, WikiApiError) as exc:
            self._failed(url, f"the wiki could not render this page within the limits: {exc}")
            return True
        except WikiUnreachable as exc:
            self.transient_failures += 1
            self._failed(url, str(exc))
            return True
        kind = self.store.record_fetch(
            url, source_id=self.config.source_id, status=200, body=rendered.body,
            content_type=CONTENT_TYPE, etag=revision_tag(rendered.revision),
            title=rendered.title, run_id=self.config.run_id, page_kind="html", links=[],
        )  # fmt: skip
        self._event(url, OUTCOMES[kind], content_hash_of(rendered.body), rendered.title)
        return True

    def _event(self, url: str, outcome: Outcome, content_hash, title: str) -> None:
        self.sink.url(
            UrlEvent(
                url=url, outcome=outcome, status=200, content_type=CONTENT_TYPE,
                content_hash=content_hash, title=title, kind="html",
            )
        )  # fmt: skip

    def _failed(self, url: str, reason: str) -> None:
        self.sink.url(UrlEvent(url=url, outcome=Outcome.FAILED, reason=reason[:300]))

    def _unreachable(self, exc: WikiError) -> None:
        what = "login" if isinstance(exc, WikiLoginFailed) else "wiki_api"
        self.sink.wiki(self.wiki.api_url, reason=str(exc))
        self.sink.finished(
            complete=False,
            finish_reason="login_failed" if what == "login" else "site_unreachable",
            unreachable=[{"what": what, "url": self.wiki.api_url, "reason": str(exc)}],
            api_calls=dict(self.client.calls),
        )

    def _finish(self, stopped: str, listed: int) -> None:
        failed = self.transient_failures
        too_many = failed > 0 and failed > self.config.max_failed_share * max(listed, 1)
        reason = stopped or ("too_many_failures" if too_many else "finished")
        self.sink.finished(
            complete=not stopped and not too_many,
            finish_reason=reason,
            known_failed=failed,
            known_answered=listed - failed,
            api_calls=dict(self.client.calls),
        )


def crawl_wiki(config: CrawlConfig, store: PageStore, sink: EventSink) -> None:
    """Run one wiki crawl here; SIGTERM (a stop, the time limit) ends it after the current
    request, as an incomplete run."""
    import signal

    crawl = WikiCrawl(config, store, sink)
    signal.signal(signal.SIGTERM, lambda *_: crawl.stop.set())
    signal.signal(signal.SIGINT, lambda *_: crawl.stop.set())
    crawl.run()
