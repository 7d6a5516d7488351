"""An editor writes the answer the site lacks, and the next visitor who asks in other words gets
it, cited: through the API for entries and the public chat API, on the embedded default (local
Qdrant, the bundled embedding model, the in-process worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from backend.knowledge.models import KnowledgeEntry
from backend.ops.counters import local_counters
from backend.ops.roles import EDITORS
from tests.chat.conftest import ask
from tests.e2e.test_deletion import empty_index, indexed_source, points, settle  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
]

UNANSWERED = "Wo kann ich beim Training mein Auto parken?"
IN_OTHER_WORDS = "Gibt es Parkplätze für Autos am Training?"
ENTRY = {
    "question": "Wo kann ich parken, wenn ich zum Training komme?",
    "alternative_questions": "Gibt es Parkplätze an der Sporthalle?\nWo stelle ich mein Auto ab?",
    "answer": "Kostenlose Parkplätze gibt es hinter der Sporthalle, Zufahrt über die Lindenstraße.",
    "language": "de",
}


@pytest.fixture(autouse=True)
def chat_without_llm():
    with override_settings(
        OPENAI_API_KEY="", OPENAI_BASE_URL="", AZURE_OPENAI_ENDPOINT="",
        CHAT_RATE_LIMIT_PER_IP=1000, CHAT_RATE_LIMIT_PER_CONVERSATION=1000,
    ):  # fmt: skip
        local_counters.clear()
        yield
        local_counters.clear()


@pytest.fixture
def site():
    """The site's pages: they say nothing about parking. (The relevance decision weighs a
    passage against what the rest of the index reaches, so the index is never the entry alone.)"""
    return indexed_source("Verein", "verein.example")


@pytest.fixture
def editor(site) -> APIClient:
    user = User.objects.create_user("redakteurin", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client = APIClient()
    client.force_authenticate(user)
    return client


def write(editor: APIClient, **fields) -> dict:
    response = editor.post("/api/v1/entries/", {**ENTRY, **fields}, format="json")
    assert response.status_code == 201, response.content
    settle()
    return response.json()


def chat(question: str, **fields) -> dict:
    result = ask(question, stream=False, **fields)
    assert result.status == 200, result.body
    return result.json


def test_a_written_entry_answers_the_next_visitor_in_other_words_cited(editor):
    before = chat(UNANSWERED)
    assert before["outcome"] == "unanswered" and not before["sources"]

    created = write(editor)
    entry = KnowledgeEntry.objects.get(pk=created["id"])
    assert entry.status == KnowledgeEntry.Status.INDEXED and entry.author.username == "redakteurin"

    after = chat(IN_OTHER_WORDS)
    assert after["outcome"] == "answered"
    assert "Lindenstraße" in after["answer"]
    (source,) = [s for s in after["sources"] if s["kind"] == "entry"]
    day = timezone.localdate(entry.updated_at)
    assert source["title"] == f"Redaktion, {day.day}.{day.month}.{day.year}"
    assert source["url"] == "" and source["section"] == ""


def test_an_entry_with_a_link_is_cited_by_it_and_english_says_editorial_team(editor):
    write(editor, read_more_url="https://verein.example/anfahrt/")
    cited = chat(IN_OTHER_WORDS)["sources"]
    assert [(s["kind"], s["url"]) for s in cited] == [("entry", "https://verein.example/anfahrt/")]

    write(
        editor, question="Where can I park my car?", alternative_questions="", language="en",
        answer="Free parking is behind the gym, entrance from Linden Street.",
    )  # fmt: skip
    english = chat("Is there parking for my car?", language="en")
    assert english["sources"][0]["title"].startswith("Editorial team, 20")


def test_outside_its_validity_an_entry_is_not_cited_and_changing_it_does_not_reindex(editor):
    created = write(editor)
    entry = KnowledgeEntry.objects.get(pk=created["id"])
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = editor.patch(f"/api/v1/entries/{entry.pk}/", {"valid_until": past}, format="json")
    assert response.status_code == 200
    settle()
    assert chat(IN_OTHER_WORDS)["outcome"] == "unanswered"
    entry.refresh_from_db()
    assert entry.status == KnowledgeEntry.Status.INDEXED  # no re-index for a validity change

    future = (timezone.now() + timedelta(days=1)).isoformat()
    editor.patch(
        f"/api/v1/entries/{entry.pk}/", {"valid_from": future, "valid_until": None}, format="json"
    )
    assert chat(IN_OTHER_WORDS)["outcome"] == "unanswered"  # not valid yet
    editor.patch(f"/api/v1/entries/{entry.pk}/", {"valid_from": None}, format="json")
    assert chat(IN_OTHER_WORDS)["outcome"] == "answered"


def test_an_entry_for_one_source_is_used_only_in_its_conversations(editor, site):
    verein = site
    schule = indexed_source("Schule", "schule.example")
    write(editor, sources=[schule.pk])
    assert chat(IN_OTHER_WORDS, sources=[verein.pk])["outcome"] == "unanswered"
    assert chat(IN_OTHER_WORDS, sources=[schule.pk])["outcome"] == "answered"
    assert chat(IN_OTHER_WORDS)["outcome"] == "answered"  # a chat over every source


def test_saving_unchanged_content_does_not_reindex_and_a_change_does(editor, monkeypatch):
    created = write(editor)
    calls = []
    import rag.ingest

    real = rag.ingest.index_parsed
    monkeypatch.setattr(
        rag.ingest, "index_parsed", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    path = f"/api/v1/entries/{created['id']}/"
    editor.patch(path, {"question": ENTRY["question"]}, format="json")
    settle()
    assert calls == []
    changed = "Parkplätze gibt es nur noch in der Tiefgarage am Marktplatz."
    editor.patch(path, {"answer": changed}, format="json")
    settle()
    assert calls == [1]
    assert "Tiefgarage" in chat(IN_OTHER_WORDS)["answer"]


def test_a_deleted_entry_leaves_the_index_and_the_answers(editor):
    created = write(editor)
    assert points(document_id=f"entry-{created['id']}") == 1
    assert editor.delete(f"/api/v1/entries/{created['id']}/").status_code == 204
    settle()
    assert points(document_id=f"entry-{created['id']}") == 0
    assert chat(IN_OTHER_WORDS)["outcome"] == "unanswered"


def test_markup_in_an_answer_stays_text(editor):
    write(editor, answer="Parkplätze: <script>alert(1)</script> hinter der <b>Sporthalle</b>.")
    answer = chat(IN_OTHER_WORDS)
    assert "<script>alert(1)</script>" in answer["answer"]  # text; the widget shows it as text


def test_the_preview_shows_the_chats_answer_citing_the_entry_and_stores_nothing(editor, client):
    from django.urls import reverse

    from backend.chat.models import Conversation

    created = write(editor)
    client.force_login(User.objects.get(username="redakteurin"))
    url = reverse("admin:knowledge_knowledgeentry_preview", args=[created["id"]])
    response = client.get(url, {"question": IN_OTHER_WORDS})
    assert response.status_code == 200
    page = response.text
    assert "Lindenstraße" in page and 'id="preview-verdict">' in page
    assert "Redaktion, " in page
    assert not Conversation.objects.exists()
    # a question the entry does not answer: the preview says it is not cited
    other = client.get(url, {"question": "Wie hoch ist der Jahresbeitrag für Erwachsene?"})
    assert 'class="errornote"' in other.text and "120 Euro" in other.text


def test_reindex_indexes_entries_again_as_after_an_embedding_change(editor, monkeypatch, capsys):
    import json

    from django.core.management import call_command

    import rag.ingest

    created = write(editor)
    calls = []
    real = rag.ingest.index_parsed
    monkeypatch.setattr(
        rag.ingest, "index_parsed", lambda *a, **k: calls.append(a[1]) or real(*a, **k)
    )
    call_command("reindex", "--json")
    settle()
    assert json.loads(capsys.readouterr().out)["entries_queued"] == 1
    assert [c for c in calls if c.startswith("entry-")] == [f"entry-{created['id']}"]
    assert KnowledgeEntry.objects.get(pk=created["id"]).status == KnowledgeEntry.Status.INDEXED
    assert chat(IN_OTHER_WORDS)["outcome"] == "answered"


def test_prune_index_removes_the_chunks_of_an_entry_whose_clean_up_was_lost(editor, monkeypatch):
    from django.core.management import call_command

    kept, doomed = write(editor), write(editor, question="Gibt es WLAN in der Halle?")
    monkeypatch.setattr("backend.knowledge.services.enqueue_on_commit", lambda *a: None)
    KnowledgeEntry.objects.filter(pk=doomed["id"]).delete()  # its task never runs
    assert points(document_id=f"entry-{doomed['id']}") == 1
    call_command("prune_index")
    assert points(document_id=f"entry-{doomed['id']}") == 0
    assert points(document_id=f"entry-{kept['id']}") == 1
