"""What an editor deletes is gone from answers at once: sources and documents, by the API, the
admin's change page and its bulk action; with Qdrant away; and what lost clean-ups left."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from backend.chat.retrieval import retrieve
from backend.documents.indexing import ingest_document
from backend.documents.models import Document
from backend.ops.stores import page_store, vector_client
from backend.sources.models import Source
from backend.wiring import rag_config
from rag.errors import VectorStoreUnavailable
from rag.ingest import collection_for
from tests.e2e.conftest import page
from workers.inprocess import get_worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]


@pytest.fixture(autouse=True)
def empty_index(fresh_embedded_stores):
    """The session's index and page store without what earlier tests left (their rows are
    gone, so it would all count as orphaned here)."""
    client, collection = vector_client(), collection_for(rag_config())
    if client.collection_exists(collection):
        client.delete_collection(collection)
    store = page_store()
    for source_id in store.source_ids():
        store.forget_source(source_id)


PAGES = {
    "/training/": "Das Kinderturnen findet jeden Dienstag von 16 bis 17 Uhr statt.",
    "/beitraege/": "Der Jahresbeitrag beträgt für Erwachsene 120 Euro.",
}


def indexed_source(name: str, host: str, pages: dict[str, str] = PAGES) -> Source:
    """A source whose pages are in the page store and indexed, as a crawl leaves them."""
    source = Source.objects.create(name=name, start_urls=f"https://{host}/")
    store = page_store()
    for path, text in pages.items():
        url = f"https://{host}{path}"
        body = page("/training/", text=text).body
        store.record_fetch(
            url, source_id=str(source.pk), status=200, body=body, content_type="text/html"
        )
        doc = Document.objects.create(source=source, url=url, content_type="text/html")
        assert ingest_document(doc.pk) == Document.Status.INDEXED
    return source


def points(**payload) -> int:
    from qdrant_client import models

    client, collection = vector_client(), collection_for(rag_config())
    must = [
        models.FieldCondition(key=key, match=models.MatchValue(value=str(value)))
        for key, value in payload.items()
    ]
    return client.count(collection, count_filter=models.Filter(must=must), exact=True).count


def cited_hosts(question: str) -> set[str]:
    return {hit.url.split("/")[2] for hit in retrieve(question, [], 10)}


def settle() -> None:
    assert get_worker().wait_idle(timeout=120), "clean-up tasks did not finish"


def delete_by_api(client, source):
    assert client.delete(f"/api/v1/sources/{source.pk}/").status_code == 204


def delete_on_change_page(client, source):
    url = reverse("admin:sources_source_delete", args=[source.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302


def delete_in_bulk(client, source):
    response = client.post(
        reverse("admin:sources_source_changelist"),
        {"action": "delete_selected", "_selected_action": [source.pk], "post": "yes"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("delete", [delete_by_api, delete_on_change_page, delete_in_bulk])
def test_a_deleted_source_is_gone_from_index_answers_and_page_store(admin_client, delete):
    doomed = indexed_source("Verein", "verein.example")
    kept = indexed_source("Schule", "schule.example")
    # A page both sources know: the page store keeps it for the other one.
    page_store().record_fetch(
        "https://schule.example/training/",
        source_id=str(doomed.pk),
        status=200,
        body=page("/training/").body,
        content_type="text/html",
    )
    assert cited_hosts("Wann ist Kinderturnen?") == {"verein.example", "schule.example"}

    delete(admin_client, doomed)
    settle()

    assert not Source.objects.filter(pk=doomed.pk).exists()
    assert points(source_id=doomed.pk) == 0
    assert points(source_id=kept.pk) == 2
    assert cited_hosts("Wann ist Kinderturnen?") == {"schule.example"}
    store = page_store()
    assert store.get_page("https://verein.example/training/") is None
    shared = store.get_page("https://schule.example/training/").sources
    assert str(kept.pk) in shared and str(doomed.pk) not in shared
    assert str(doomed.pk) not in store.source_ids()


def test_a_deleted_document_leaves_the_index(admin_client):
    source = indexed_source("Verein", "verein.example")
    doc = Document.objects.get(url="https://verein.example/training/")
    url = reverse("admin:documents_document_delete", args=[doc.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    settle()
    assert points(document_id=doc.pk) == 0
    assert points(source_id=source.pk) == 1  # the other page stays
    # the other page may still come back as a (weaker) hit: the deleted one may not
    cited = {hit.url for hit in retrieve("Wann ist Kinderturnen?", [], 10)}
    assert doc.url not in cited


def test_while_qdrant_is_away_the_clean_up_retries_and_nothing_deleted_is_cited(monkeypatch):
    from workers.app import app
    from workers.names import Task

    doomed = indexed_source("Verein", "verein.example")
    attempts = []

    def qdrant_away(client, collection, source_id):
        attempts.append(source_id)
        raise VectorStoreUnavailable("connection refused")

    monkeypatch.setattr("rag.store.points.delete_source", qdrant_away)
    source_id = doomed.pk
    doomed.delete()
    settle()
    assert len(attempts) == 1 + app.tasks[Task.DELETE_SOURCE].max_retries  # retried
    assert points(source_id=source_id) == 2  # still there ...
    assert retrieve("Wann ist Kinderturnen?", [], 10) == []  # ... and never cited
    assert retrieve("Jahresbeitrag Erwachsene", [str(source_id)], 10) == []
    monkeypatch.undo()

    # What the lost clean-up left, the daily maintenance (prune_index) removes.
    call_command("prune_index")
    assert points(source_id=source_id) == 0


def orphan_points(document_id: str = "999999", source_id: str = "424242") -> None:
    """Chunks of a document whose row is gone without a clean-up (a lost task, an old bug)."""
    from rag.ingest import ingest

    body = page("/training/", text="Verwaiste Seite über den Kletterkurs am Freitag.").body
    url = "https://weg.example/kletterkurs/"
    ingest(body, "text/html", url, document_id, source_id, rag_config(), vector_client())


def test_prune_index_removes_orphans_and_dry_run_only_counts_them(capsys):
    live = indexed_source("Verein", "verein.example")
    orphan_points()
    page_store().record_fetch(
        "https://weg.example/kletterkurs/", source_id="424242", status=200, body=b"x"
    )
    assert points(document_id="999999") > 0

    call_command("prune_index", "--dry-run", "--json")
    dry = json.loads(capsys.readouterr().out)
    assert dry["orphaned_documents"] == 1 and dry["orphaned_sources_in_page_store"] == 1
    assert points(document_id="999999") > 0  # a dry run removes nothing

    call_command("prune_index")
    assert "Removed the chunks of 1 orphaned documents" in capsys.readouterr().out
    assert points(document_id="999999") == 0
    assert page_store().get_page("https://weg.example/kletterkurs/") is None
    assert points(source_id=live.pk) == 2  # live documents untouched

    call_command("prune_index", "--json")
    again = json.loads(capsys.readouterr().out)
    assert again["orphaned_documents"] == 0 and again["orphaned_sources_in_page_store"] == 0


def test_reindex_neither_keeps_nor_resurrects_deleted_documents(monkeypatch, capsys):
    source = indexed_source("Verein", "verein.example")
    orphan_points()
    call_command("reindex", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["pruned"] == 1 and report["indexed"] == 2
    assert points(document_id="999999") == 0

    # A document deleted while it is being indexed: its clean-up ran before the chunks were
    # written (so it removed nothing); the indexing itself must not leave them behind.
    import rag.ingest

    real_ingest = rag.ingest.ingest
    doc = Document.objects.filter(source=source).first()

    def ingest_then_deleted(*args, **kwargs):
        result = real_ingest(*args, **kwargs)
        monkeypatch.setattr("backend.documents.cleanup.enqueue_on_commit", lambda *a: None)
        Document.objects.filter(pk=doc.pk).delete()
        return result

    monkeypatch.setattr(rag.ingest, "ingest", ingest_then_deleted)
    assert ingest_document(doc.pk) == "missing"
    assert points(document_id=doc.pk) == 0


def test_prune_index_while_the_server_holds_the_embedded_stores_says_so(tmp_path):
    import subprocess
    import sys

    from tests.backend.test_embedded_lock import HOLD_LOCK
    from tests.helpers import REPO, clean_env, run_manage

    env = clean_env(LOTSE_VAR_DIR=str(tmp_path / "var"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run_manage("migrate", "--noinput", env=env).returncode == 0
        for command in (("prune_index", "--dry-run"), ("reindex",)):
            result = run_manage(*command, env=env)
            assert result.returncode == 1, result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "in use by another Lotse process" in lines[0], lines
    finally:
        holder.kill()
        holder.wait()
