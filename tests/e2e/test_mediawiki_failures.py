"""A MediaWiki source when things go wrong, against the real wiki of tests/e2e/mediawiki.py: a
wiki that is down and a wrong bot password make the crawl incomplete with a clear message and
remove nothing; a page of 5,000 templates fails alone within its limits, the crawl goes on."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from backend.documents.models import Document
from backend.sources.models import CrawlLogEntry, CrawlRun
from tests.e2e.test_deletion import empty_index, points  # noqa: F401
from tests.e2e.test_mediawiki_source import crawl, local_wiki_allowed, wiki_source  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]

PAGES = {
    "Satzung des Vereins": "Die Mitgliederversammlung findet jedes Jahr im Mai im Bootshaus statt.",
    "Bootsverleih": "Mitglieder leihen Boote beim Bootswart gegen eine Gebühr von 5 Euro aus.",
}


def write_pages(mediawiki, category: str) -> None:
    for title, text in PAGES.items():
        mediawiki.edit(f"{title} ({category})", f"{text}\n[[Category:{category}]]")


def indexed(source) -> list[str]:
    return sorted(
        Document.objects.filter(source=source, status=Document.Status.INDEXED).values_list(
            "url", flat=True
        )
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_wiki_that_is_down_removes_nothing(mediawiki):
    write_pages(mediawiki, "Lotse Ausfall")
    source = wiki_source(mediawiki, "Lotse Ausfall")
    first = crawl(source)
    assert first.complete and first.new == 2
    before = indexed(source)

    source.wiki_api_url = f"http://127.0.0.1:{free_port()}/api.php"  # nothing listens there
    source.save()
    with override_settings(CRAWLER_GONE_AFTER_MISSED_CRAWLS=1):
        for _ in range(2):
            run = crawl(source)
            assert run.status == CrawlRun.Status.FINISHED
            assert not run.complete
            assert run.finish_reason == "site_unreachable"
            assert "wiki API" in run.error and "cannot be reached" in run.error
            assert "could not be reached" in run.explanation
            assert run.gone == 0
    assert indexed(source) == before
    line = CrawlLogEntry.objects.filter(run=run).get()
    assert line.outcome == "failed" and line.reason.startswith("wiki API: ")


def test_a_wrong_bot_password_says_so_and_removes_nothing(mediawiki, monkeypatch):
    write_pages(mediawiki, "Lotse Passwort")
    source = wiki_source(mediawiki, "Lotse Passwort")
    assert crawl(source).complete
    before = indexed(source)

    monkeypatch.setenv("WIKI_PASSWORD_TESTWIKI", "not-the-bot-password")
    with override_settings(CRAWLER_GONE_AFTER_MISSED_CRAWLS=1):
        run = crawl(source)
    assert run.status == CrawlRun.Status.FINISHED and not run.complete
    assert run.finish_reason == "login_failed"
    assert "wiki refused the login" in run.explanation
    assert f"the wiki refused the login of {mediawiki.bot_user}" in run.error
    (line,) = CrawlLogEntry.objects.filter(run=run)
    assert line.outcome == "failed" and "refused the login" in line.reason
    assert run.gone == 0 and indexed(source) == before


def test_a_missing_password_variable_fails_the_run_clearly(mediawiki, monkeypatch):
    source = wiki_source(mediawiki, "Lotse Ohne Variable")
    monkeypatch.delenv("WIKI_PASSWORD_TESTWIKI")
    run = crawl(source)
    assert run.status == CrawlRun.Status.FAILED
    assert "WIKI_PASSWORD_TESTWIKI is not set" in run.error


def test_a_page_of_5000_templates_fails_alone_and_the_crawl_goes_on(mediawiki):
    category = "Lotse Vorlagen"
    write_pages(mediawiki, category)
    mediawiki.edit("Template:Baustein", "Ein Textbaustein mit etwas Inhalt. " * 12)
    mediawiki.edit("Vorlagenwüste", "{{Baustein}}\n" * 5000 + f"[[Category:{category}]]")
    source = wiki_source(mediawiki, category)
    with override_settings(CRAWLER_WIKI_MAX_PAGE_KB=256):
        run = crawl(source)
    assert run.status == CrawlRun.Status.FINISHED
    assert run.complete, run.finish_reason  # a page over its limits is no outage
    assert (run.new, run.failed) == (2, 1)
    failed = CrawlLogEntry.objects.get(run=run, outcome="failed")
    assert failed.url == mediawiki.url("Vorlagenwüste")
    assert "could not render this page within the limits" in failed.reason
    assert "larger than 256 KiB" in failed.reason
    assert len(indexed(source)) == 2
    assert not Document.objects.filter(source=source, url=failed.url).exists()
