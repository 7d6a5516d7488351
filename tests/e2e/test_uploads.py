"""An editor uploads a PDF the site does not link; the next visitor's question is answered from
it and cited with its page, at Lotse's own address for the file. A changed version changes the
answer, a deleted upload leaves the answers; a version that cannot be indexed leaves the one
before it answering. Through the uploads API and the public chat API, on the embedded default
(local Qdrant, the bundled embedding model, the in-process worker); real PDFs from
../shared/data/pdf, and one written by reportlab for the new version."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings
from rest_framework.test import APIClient

from backend.ops.counters import local_counters
from backend.ops.roles import EDITORS
from backend.ops.stores import page_store
from backend.uploads.models import Upload, store_url
from tests.chat.conftest import ask
from tests.e2e.test_deletion import empty_index, indexed_source, points, settle  # noqa: F401
from tests.fake_openai import FakeOpenAI, Reply
from tests.uploads.files import encrypted_pdf, pdf_of_texts, pdf_pages

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores", "empty_index"),
]

QUESTION = "Wann heißt ein topologischer Raum hausdorffsch?"
# Sierpinski, metric spaces, examples, and the Hausdorff definition on the fourth page
PAGES = (7, 8, 10, 12)
NEW_VERSION = (
    "Skript zur Topologie, zweite Fassung. Kapitel 1: Mengen und Abbildungen.\n"
    + "\n".join(
        f"Satz {n}: Die Vereinigung von {n} endlichen Mengen ist wieder eine endliche Menge."
        for n in range(1, 18)  # a chunk of its own: the answer starts on page 2
    ),
    "Ein topologischer Raum heißt hausdorffsch, wenn sich je zwei verschiedene\n"
    "Punkte durch disjunkte offene Umgebungen trennen lassen (Trennungsaxiom T2).",
)


@pytest.fixture(autouse=True)
def chat_without_llm():
    with override_settings(
        OPENAI_API_KEY="", OPENAI_BASE_URL="", AZURE_OPENAI_ENDPOINT="",
        CHAT_RATE_LIMIT_PER_IP=1000, CHAT_RATE_LIMIT_PER_CONVERSATION=1000,
        PUBLIC_URL="https://chat.verein.example",
    ):  # fmt: skip
        local_counters.clear()
        yield
        local_counters.clear()


@pytest.fixture
def editor() -> APIClient:
    # the site's pages say nothing about topology; the index is never the upload alone
    indexed_source("Verein", "verein.example")
    user = User.objects.create_user("redakteurin", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(editor: APIClient, name: str, body: bytes, path: str = "/api/v1/uploads/"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = editor.post(path, {"file": SimpleUploadedFile(name, body)}, format="multipart")
    settle()
    return response


def chat(question: str = QUESTION) -> dict:
    result = ask(question, stream=False)
    assert result.status == 200, result.body
    return result.json


def upload_sources(answer: dict) -> list[dict]:
    return [s for s in answer["sources"] if "/files/" in s["url"]]


def test_an_uploaded_pdf_answers_cited_with_its_page_then_a_new_version_then_nothing(editor):
    assert upload_sources(chat()) == []

    created = upload(editor, "topologie-skript.pdf", pdf_pages(*PAGES))
    assert created.status_code == 201, created.content
    item = Upload.objects.get(pk=created.json()["id"])
    assert (item.status, item.kind, item.page_count) == ("indexed", "pdf", 4)
    first_hash = item.content_hash
    assert item.uploaded_by.username == "redakteurin"

    first = chat()
    assert first["outcome"] == "answered"
    assert "je zwei Punkte" in first["answer"]
    cited = upload_sources(first)
    # cited by the page its passage starts on, in the file as uploaded
    assert cited and cited[0]["page"] == page_of(pdf_pages(*PAGES), cited[0]["snippet"])
    assert cited[0]["url"] == f"https://chat.verein.example/files/{item.pk}/topologie-skript.pdf"
    # the widget opens it at the page, as a crawled PDF: url#page=4 (backend/widget/src)
    served = editor.get(f"/files/{item.pk}/topologie-skript.pdf")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served.content == pdf_pages(*PAGES)

    replaced = upload(editor, "topologie-skript-2.pdf", pdf_of_texts(*NEW_VERSION),
                      path=f"/api/v1/uploads/{item.pk}/replace/")  # fmt: skip
    assert replaced.status_code == 202, replaced.content
    item.refresh_from_db()
    assert (item.status, item.file_name, item.page_count) == (
        "indexed",
        "topologie-skript-2.pdf",
        2,
    )
    second = chat()
    assert "disjunkte offene Umgebungen" in second["answer"]
    assert "je zwei Punkte x" not in second["answer"]
    assert upload_sources(second)[0]["page"] == 2
    assert upload_sources(second)[0]["url"].endswith(f"/files/{item.pk}/topologie-skript-2.pdf")
    # the old version left the page store; only the new one is served
    assert page_store().load_body(store_url(item.pk, first_hash)) is None
    assert editor.get(f"/files/{item.pk}/x.pdf").content == pdf_of_texts(*NEW_VERSION)

    assert editor.delete(f"/api/v1/uploads/{item.pk}/").status_code == 204
    settle()
    assert upload_sources(chat()) == []
    assert points(document_id=f"upload-{item.pk}") == 0
    assert page_store().load_body(store_url(item.pk, item.content_hash)) is None
    assert editor.get(f"/files/{item.pk}/topologie-skript-2.pdf").status_code == 404


def page_of(pdf: bytes, snippet: str) -> int:
    """The 1-based page of ``pdf`` whose text holds the snippet's first words."""
    import pypdfium2

    words = " ".join(snippet.split()[:6])
    document = pypdfium2.PdfDocument(pdf)
    texts = [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    (page,) = [n for n, text in enumerate(texts, 1) if words in text]
    return page


def test_the_language_model_is_given_the_upload_with_its_page_and_cites_it(editor):
    item = Upload.objects.get(pk=upload(editor, "skript.pdf", pdf_pages(*PAGES)).json()["id"])
    with FakeOpenAI() as fake, override_settings(
        OPENAI_API_KEY="test-key", OPENAI_BASE_URL=fake.base_url, CHAT_LLM_TIMEOUT=5.0
    ):  # fmt: skip
        fake.queue(Reply("Ein Raum ist hausdorffsch, wenn Punkte trennbar sind [1]."))
        answer = chat()
    prompt = json.dumps(fake.chat_requests[-1]["messages"], ensure_ascii=False)
    assert "heißt hausdorffsch" in prompt
    (source,) = answer["sources"]
    assert source["url"] == f"https://chat.verein.example/files/{item.pk}/skript.pdf"
    assert f'page=\\"{source["page"]}\\"' in prompt
    assert source["page"] == page_of(pdf_pages(*PAGES), source["snippet"])


def test_the_same_content_again_is_not_indexed_again(editor, monkeypatch):
    body = pdf_pages(*PAGES)
    item = Upload.objects.get(pk=upload(editor, "skript.pdf", body).json()["id"])
    indexed_at = item.last_indexed_at
    again = upload(editor, "skript-kopie.pdf", body, path=f"/api/v1/uploads/{item.pk}/replace/")
    assert again.status_code == 200 and again.json()["file_name"] == "skript.pdf"
    item.refresh_from_db()
    assert item.last_indexed_at == indexed_at
    twin = upload(editor, "noch-einmal.pdf", body)
    assert twin.status_code == 400 and "already uploaded" in twin.json()["file"][0]


def test_a_new_version_that_cannot_be_indexed_leaves_the_old_one_answering(editor):
    item = Upload.objects.get(pk=upload(editor, "skript.pdf", pdf_pages(*PAGES)).json()["id"])
    chunks = item.chunk_count
    refused = upload(
        editor, "geheim.pdf", encrypted_pdf(), path=f"/api/v1/uploads/{item.pk}/replace/"
    )
    assert refused.status_code == 202  # taken: that it is encrypted only parsing finds
    item.refresh_from_db()
    assert item.status == "indexed" and item.file_name == "skript.pdf"
    assert "geheim.pdf" in item.error and "password" in item.error
    assert (item.chunk_count, item.pending_hash) == (chunks, "")
    assert points(document_id=f"upload-{item.pk}") == chunks
    assert "je zwei Punkte" in chat()["answer"]
    assert editor.get(f"/files/{item.pk}/skript.pdf").content == pdf_pages(*PAGES)


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("geheim.pdf", encrypted_pdf, "password"),  # a real one, from ../shared
        ("leer.pdf", lambda: pdf_of_texts(""), "no extractable text"),  # a page without any text
    ],
)
def test_a_pdf_that_cannot_be_indexed_fails_with_the_reason_and_is_not_cited(
    editor, name, body, reason
):
    created = upload(editor, name, body())
    item = Upload.objects.get(pk=created.json()["id"])
    assert item.status == "failed" and reason in item.error
    assert points(document_id=f"upload-{item.pk}") == 0  # nothing half-indexed
    assert editor.get(f"/files/{item.pk}/{name}").status_code == 404
    listed = editor.get("/api/v1/uploads/").json()["results"]
    assert [(u["status"], u["error"]) for u in listed] == [("failed", item.error)]


def test_a_deleted_upload_is_not_cited_while_its_chunks_wait_for_the_clean_up(editor, monkeypatch):
    item = Upload.objects.get(pk=upload(editor, "skript.pdf", pdf_pages(*PAGES)).json()["id"])
    assert upload_sources(chat())
    # the clean-up task is late (Qdrant away): the chunks are still in the index
    monkeypatch.setattr("backend.uploads.services.enqueue_on_commit", lambda *args: None)
    assert editor.delete(f"/api/v1/uploads/{item.pk}/").status_code == 204
    assert points(document_id=f"upload-{item.pk}") == item.chunk_count > 0
    assert upload_sources(chat()) == []


def test_a_version_replaced_while_it_is_indexed_ends_with_the_newest(editor, monkeypatch):
    """Three versions in quick succession: whatever the order the tasks end in, the index,
    the row and the served file agree on the last one."""
    import rag.ingest
    from backend.uploads.indexing import index_upload
    from backend.uploads.selectors import upload_chunks
    from backend.uploads.services import replace_upload

    v1, v2, v3 = (f"Die Halle schließt um {h} Uhr.\n".encode() for h in (20, 21, 22))
    item = Upload.objects.get(pk=upload(editor, "halle.txt", v1).json()["id"])
    real_ingest = rag.ingest.ingest

    def a_newer_version_overtakes(body, *args, **kwargs):
        if body == v2:  # v3 arrives and is indexed before v2's chunks are written over it
            replace_upload(Upload.objects.get(pk=item.pk), "halle-3.txt", v3)
            assert index_upload(item.pk, hashlib.sha256(v3).hexdigest()) == "indexed"
        return real_ingest(body, *args, **kwargs)

    monkeypatch.setattr(rag.ingest, "ingest", a_newer_version_overtakes)
    replaced = upload(editor, "halle-2.txt", v2, path=f"/api/v1/uploads/{item.pk}/replace/")
    assert replaced.status_code == 202
    settle()
    item.refresh_from_db()
    assert (item.file_name, item.status, item.pending_hash) == ("halle-3.txt", "indexed", "")
    assert ["22 Uhr" in chunk["text"] for chunk in upload_chunks(item)] == [True]
    assert editor.get(f"/files/{item.pk}/halle-3.txt").content == v3
