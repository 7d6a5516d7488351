"""A local site crawled by the real spider and indexed by the real parser, end to end.

Embedded default: the in-process worker runs the crawler task (which starts the Scrapy child
process) and the rag tasks; the page store and Qdrant are the embedded ones.
"""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from backend.documents.models import Document
from backend.ops.stores import vector_client
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from backend.sources.services import CrawlAlreadyRunning, start_crawl
from backend.wiring import rag_config
from rag.ingest import collection_for
from rag.retrieval import search
from tests.crawler.sites import Answer
from tests.e2e.conftest import page
from workers.inprocess import get_worker
from workers.names import Task

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]


@pytest.fixture(autouse=True)
def local_sites_allowed():
    with override_settings(CRAWLER_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield


@pytest.fixture
def sent_tasks(monkeypatch):
    """Every task handed to the in-process worker, by name."""
    worker = get_worker()
    sent: list[tuple[str, tuple]] = []
    original = worker.submit

    def spy(task_name, queue_name, args, kwargs, countdown=None):
        sent.append((task_name, args))
        original(task_name, queue_name, args, kwargs, countdown=countdown)

    monkeypatch.setattr(worker, "submit", spy)
    return sent


def crawl(source: Source) -> CrawlRun:
    run = start_crawl(source, CrawlRun.Trigger.CLI)
    assert get_worker().wait_idle(timeout=120), "crawl and indexing did not finish"
    run.refresh_from_db()
    return run


def names(sent, task_name):
    return [args for name, args in sent if name == task_name]


def test_crawl_index_recrawl_change_and_removal(verein_site, sent_tasks):
    source = Source.objects.create(
        name="Verein",
        start_urls=verein_site.base + "/",
        download_delay=0,
        concurrency_per_host=4,
    )

    first = crawl(source)
    assert first.status == CrawlRun.Status.FINISHED, first.error
    assert first.complete
    assert (first.new, first.changed, first.failed) == (4, 0, 0)
    docs = Document.objects.filter(source=source)
    assert docs.count() == 4
    assert set(docs.values_list("status", flat=True)) == {Document.Status.INDEXED}, list(
        docs.values_list("url", "error")
    )
    assert all(doc.chunk_count >= 1 for doc in docs)
    assert len(names(sent_tasks, Task.INGEST_DOCUMENT)) == 4

    # The retriever finds the page that answers a German question.
    client, collection = vector_client(), collection_for(rag_config())
    hits = search(client, collection, "Wann ist Kinderturnen?", k=3)
    assert hits and hits[0].url == verein_site.base + "/training/"
    pdf_hits = search(client, collection, "Mitgliederversammlung Mai", k=1)
    assert pdf_hits[0].url.endswith("/satzung.pdf") and pdf_hits[0].page == 1

    # A recrawl of the unchanged site enqueues no ingest, and is answered with 304s.
    sent_tasks.clear()
    requests_before = len(verein_site.requests)
    second = crawl(source)
    assert second.status == CrawlRun.Status.FINISHED and second.complete
    assert (second.new, second.changed, second.unchanged) == (0, 0, 4)
    assert names(sent_tasks, Task.INGEST_DOCUMENT) == []
    page_requests = [
        headers for path, headers in verein_site.requests[requests_before:] if path != "/robots.txt"
    ]
    assert all("If-None-Match" in headers for headers in page_requests)

    # One changed page: exactly one ingest, and the new text is what the index finds.
    verein_site.routes["/beitraege/"] = page(
        "/beitraege/", text="Der Jahresbeitrag beträgt ab 2027 für Erwachsene 150 Euro."
    )
    sent_tasks.clear()
    third = crawl(source)
    assert (third.new, third.changed, third.unchanged) == (0, 1, 3)
    ingests = names(sent_tasks, Task.INGEST_DOCUMENT)
    assert len(ingests) == 1
    changed = Document.objects.get(pk=ingests[0][0])
    assert changed.url.endswith("/beitraege/") and changed.status == Document.Status.INDEXED
    hits = search(client, collection, "Jahresbeitrag Erwachsene", k=1)
    assert "150 Euro" in hits[0].text

    # One page removed: exactly one Document gone, and its chunks leave the index.
    verein_site.routes["/training/"] = Answer(410, b"gone", {"Content-Type": "text/plain"})
    sent_tasks.clear()
    fourth = crawl(source)
    assert fourth.gone == 1
    gone = Document.objects.get(status=Document.Status.GONE)
    assert gone.url.endswith("/training/")
    assert names(sent_tasks, Task.DELETE_DOCUMENT) == [(gone.pk,)]
    hits = search(client, collection, "Wann ist Kinderturnen?", k=3)
    assert all(hit.url != gone.url for hit in hits)
    assert CrawlLogEntry.objects.filter(run=fourth, outcome="gone").count() == 1


def test_unlinked_page_is_gone_only_after_n_complete_crawls_in_a_row(verein_site, settings):
    settings.CRAWLER_GONE_AFTER_MISSED_CRAWLS = 2
    source = Source.objects.create(
        name="Verein", start_urls=verein_site.base + "/", download_delay=0
    )
    assert crawl(source).complete
    # The start page stops linking to the fees page (which still exists).
    verein_site.routes["/"].body = verein_site.routes["/"].body.replace(b"/beitraege/", b"/")
    fees = Document.objects.get(url=verein_site.base + "/beitraege/")

    source.max_pages = 1  # stops early: incomplete, so nothing may be called gone
    source.save()
    partial = crawl(source)
    assert not partial.complete
    assert not Document.objects.filter(status=Document.Status.GONE).exists()

    source.max_pages = 100
    source.save()
    first_miss = crawl(source)
    assert first_miss.complete
    fees.refresh_from_db()
    assert (fees.status, fees.missed_crawls) == (Document.Status.INDEXED, 1)  # not yet

    # Linked again for one crawl: seen, so the count starts again.
    verein_site.routes["/"] = page("/")
    assert crawl(source).complete
    fees.refresh_from_db()
    assert (fees.status, fees.missed_crawls) == (Document.Status.INDEXED, 0)

    verein_site.routes["/"].body = verein_site.routes["/"].body.replace(b"/beitraege/", b"/")
    crawl(source)
    second = crawl(source)
    gone = Document.objects.get(status=Document.Status.GONE)
    assert gone.url.endswith("/beitraege/")
    entry = CrawlLogEntry.objects.get(run=second, outcome="gone")
    assert entry.reason == "not reached in 2 complete crawls"


def test_second_crawl_of_a_source_is_refused_while_one_is_active(db):
    source = Source.objects.create(name="x", start_urls="https://verein.example/")
    CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
    with pytest.raises(CrawlAlreadyRunning, match="already running"):
        start_crawl(source)
    assert CrawlRun.objects.filter(source=source).count() == 1


def test_admin_shows_chunks_and_reindexes(verein_site, admin_client, sent_tasks):
    from django.urls import reverse

    source = Source.objects.create(
        name="Verein", start_urls=verein_site.base + "/", download_delay=0
    )
    crawl(source)
    doc = Document.objects.get(url=verein_site.base + "/training/")
    page = admin_client.get(reverse("admin:documents_document_chunks", args=[doc.pk]))
    assert page.status_code == 200
    assert "Kinderturnen findet jeden Dienstag" in page.content.decode()

    sent_tasks.clear()
    admin_client.post(
        reverse("admin:documents_document_changelist"),
        {"action": "reindex_documents", "_selected_action": [doc.pk]},
    )
    assert get_worker().wait_idle(timeout=60)
    assert names(sent_tasks, Task.INGEST_DOCUMENT) == [(doc.pk, "")]
    doc.refresh_from_db()
    assert doc.status == Document.Status.INDEXED and doc.chunk_count >= 1


def test_reindex_command_with_progress(verein_site, capsys):
    from django.core.management import call_command

    source = Source.objects.create(
        name="Verein", start_urls=verein_site.base + "/", download_delay=0
    )
    crawl(source)
    call_command("reindex", "--source", str(source.pk), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report.pop("pruned") >= 0  # what earlier tests of the session left in the index
    assert report == {
        "queued": 4, "entries_queued": 0, "uploads_queued": 0, "indexed": 4, "failed": 0,
        "pending": 0,
    }  # fmt: skip
