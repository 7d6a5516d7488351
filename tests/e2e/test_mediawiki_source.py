"""A MediaWiki source end to end, against a real MediaWiki (tests/e2e/mediawiki.py): indexed
through the wiki's parser, answered and cited with the article and section, a recrawl after
one edit parses and re-indexes that page alone, a deleted page leaves the index, a moved page
is followed to its new title.

Embedded default: the in-process worker runs the crawl task (which starts the crawl child)
and the rag tasks; the page store and Qdrant are the embedded ones.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.documents.models import Document
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import start_crawl
from tests.chat import conftest as chat_fixtures
from tests.chat.conftest import ask
from tests.e2e.test_deletion import empty_index, points  # noqa: F401
from tests.fake_openai import Reply
from workers.inprocess import get_worker
from workers.names import Task

fake_llm = chat_fixtures.fake_llm  # the local OpenAI-compatible server of the chat tests

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]

CATEGORY = "Lotse Vereinswiki"
PAGES = {
    "Öffnungszeiten": (
        "Die Geschäftsstelle des Vereins hat feste Zeiten, die sich nach der Saison richten. "
        "Außerhalb dieser Zeiten erreichen Sie uns per E-Mail; wir antworten innerhalb von "
        "zwei Werktagen. An Feiertagen bleibt die Geschäftsstelle geschlossen, auch wenn "
        "sie sonst an diesem Wochentag geöffnet hätte. Termine nach Vereinbarung sind möglich.\n"
        "== Sommer ==\nVon April bis September ist die Geschäftsstelle montags bis freitags "
        "von 9 bis 18 Uhr geöffnet. In den Sommerferien gelten verkürzte Zeiten, die wir "
        "rechtzeitig am Schwarzen Brett und im Mitgliederbrief bekannt geben. Samstags ist "
        "während der Regattasaison zusätzlich von 10 bis 12 Uhr jemand im Bootshaus.\n"
        "== Winter ==\nVon Oktober bis März öffnet die Geschäftsstelle nur dienstags und "
        "donnerstags von 10 bis 16 Uhr. Das Bootshaus ist im Winter geschlossen; das "
        "Wintertraining findet im Kraftraum statt, dessen Schlüssel die Trainer haben. "
        "Zwischen Weihnachten und Neujahr bleibt die Geschäftsstelle ganz geschlossen.\n"
    ),
    "Anfahrt": "So kommen Sie zur Sporthalle: {{Buslinie}}. Parkplätze gibt es keine.\n",
    "Mitgliedschaft": (
        "Die Mitgliedschaft im Ruderclub kostet 80 Euro im Jahr; die Kündigung ist zum "
        "Jahresende möglich.\n"
    ),
}
TEMPLATE = "Nehmen Sie die Buslinie 42 ab dem Hauptbahnhof bis zur Haltestelle Seeufer"


@pytest.fixture(autouse=True)
def local_wiki_allowed(monkeypatch, mediawiki):
    """The wiki is on 127.0.0.1: allowed the way the website tests allow their local sites."""
    monkeypatch.setenv("WIKI_PASSWORD_TESTWIKI", mediawiki.bot_password)
    with override_settings(
        CRAWLER_ALLOWED_NETWORKS=["127.0.0.1/32"],
        CHAT_RATE_LIMIT_PER_IP=1000,
        CHAT_RATE_LIMIT_PER_CONVERSATION=1000,
    ):
        yield


@pytest.fixture
def sent_tasks(monkeypatch):
    worker = get_worker()
    sent: list[tuple[str, tuple]] = []
    original = worker.submit

    def spy(task_name, queue_name, args, kwargs, countdown=None):
        sent.append((task_name, args))
        original(task_name, queue_name, args, kwargs, countdown=countdown)

    monkeypatch.setattr(worker, "submit", spy)
    return sent


def wiki_source(mediawiki, category: str, **fields) -> Source:
    return Source.objects.create(
        name=f"Wiki {category}",
        kind=Source.Kind.MEDIAWIKI,
        wiki_api_url=mediawiki.api_url,
        wiki_username=mediawiki.bot_user,
        wiki_password_env="WIKI_PASSWORD_TESTWIKI",
        wiki_categories=category,
        download_delay=0,
        **fields,
    )


def crawl(source: Source) -> CrawlRun:
    run = start_crawl(source, CrawlRun.Trigger.CLI)
    assert get_worker().wait_idle(timeout=180), "crawl and indexing did not finish"
    run.refresh_from_db()
    return run


def ingests(sent) -> list[tuple]:
    return [args for name, args in sent if name == Task.INGEST_DOCUMENT]


def doc(source: Source, mediawiki, title: str) -> Document:
    return Document.objects.get(source=source, url=mediawiki.url(title))


def test_a_wiki_is_indexed_cited_by_section_and_followed_through_edits_deletes_and_moves(
    mediawiki, fake_llm, sent_tasks
):
    mediawiki.edit("Template:Buslinie", TEMPLATE)
    for title, text in PAGES.items():
        mediawiki.edit(title, f"{text}[[Category:{CATEGORY}]]")
    source = wiki_source(mediawiki, CATEGORY)

    first = crawl(source)
    assert first.status == CrawlRun.Status.FINISHED, first.error
    assert first.complete, first.finish_reason
    assert (first.new, first.changed, first.failed, first.gone) == (3, 0, 0, 0)
    docs = Document.objects.filter(source=source)
    assert set(docs.values_list("url", flat=True)) == {mediawiki.url(t) for t in PAGES}
    assert set(docs.values_list("status", flat=True)) == {Document.Status.INDEXED}
    # the template came out as readers see it, through the wiki's own parser
    from backend.ops.stores import page_store

    assert TEMPLATE in page_store().load_body(mediawiki.url("Anfahrt")).decode()

    # answered through the chat API, cited with the article and its section
    fake_llm.default = Reply("Im Winter ist dienstags und donnerstags von 10 bis 16 Uhr offen [1].")
    result = ask("Wann hat die Geschäftsstelle im Winter geöffnet?", stream=False)
    assert result.status == 200, result.body
    cited = result.json["sources"][0]
    assert cited["url"] == mediawiki.url("Öffnungszeiten") + "#Winter"
    assert "dienstags und donnerstags" in cited["snippet"]

    # a recrawl after one edit: one parse request, one ingest, the rest unchanged
    mediawiki.edit(
        "Anfahrt", f"Ab sofort: {{{{Buslinie}}}}. Fahrräder am Eingang.[[Category:{CATEGORY}]]"
    )
    sent_tasks.clear()
    parses = mediawiki.parse_requests()
    second = crawl(source)
    assert second.complete, second.finish_reason
    assert mediawiki.parse_requests() - parses == 1
    assert (second.changed, second.unchanged, second.new, second.gone) == (1, 2, 0, 0)
    assert ingests(sent_tasks) == [
        (doc(source, mediawiki, "Anfahrt").pk, ingests(sent_tasks)[0][1])
    ]

    # a deleted page leaves the index at the next crawl
    deleted = doc(source, mediawiki, "Mitgliedschaft")
    assert points(document_id=deleted.pk) > 0
    mediawiki.delete("Mitgliedschaft")
    sent_tasks.clear()
    third = crawl(source)
    assert third.complete, third.finish_reason
    deleted.refresh_from_db()
    assert deleted.status == Document.Status.GONE
    assert points(document_id=deleted.pk) == 0
    assert third.gone == 1 and ingests(sent_tasks) == []
    assert CrawlLogEntry.objects.get(run=third, outcome="gone").reason == "deleted in the wiki"

    # a moved page: the old title leaves the index, the new one is indexed
    old = doc(source, mediawiki, "Anfahrt")
    mediawiki.move("Anfahrt", "Anreise zur Sporthalle")
    fourth = crawl(source)
    assert fourth.complete, fourth.finish_reason
    old.refresh_from_db()
    assert old.status == Document.Status.GONE
    assert points(document_id=old.pk) == 0
    moved = doc(source, mediawiki, "Anreise zur Sporthalle")
    assert moved.status == Document.Status.INDEXED and moved.chunk_count > 0
    gone_line = CrawlLogEntry.objects.get(run=fourth, outcome="gone")
    assert gone_line.url == old.url
    assert gone_line.reason == "moved in the wiki to Anreise zur Sporthalle"
    assert (fourth.new, fourth.unchanged, fourth.gone) == (1, 1, 1)


def test_a_public_wiki_by_namespace_crawled_from_the_command_line(mediawiki, capsys):
    import json

    from django.core.management import call_command

    mediawiki.edit("Help:Lotse Hilfe", "Die Hilfe erklärt, wie man im Vereinswiki Seiten anlegt.")
    mediawiki.edit("Help:Alte Hilfe", "#REDIRECT [[Help:Lotse Hilfe]]")  # no page of its own
    source = Source.objects.create(
        name="Hilfe", kind=Source.Kind.MEDIAWIKI, wiki_api_url=mediawiki.api_url,
        wiki_namespaces="12", download_delay=0,
    )  # fmt: skip
    call_command("crawl", str(source.pk), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "finished" and report["complete"], report
    assert report["counters"]["new"] == 1
    (document,) = Document.objects.filter(source=source)
    assert document.url == mediawiki.url("Help:Lotse Hilfe")
    assert document.status == Document.Status.INDEXED
