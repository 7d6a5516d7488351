"""From a gap to an answer: what counts as a gap (not answered, thumbs-down, low confidence),
one click from a gap to a prefilled entry, and the gap closed once the entry exists."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from backend.chat.models import Conversation, Feedback, Message
from backend.insights.selectors import dashboard
from backend.knowledge.models import KnowledgeEntry
from backend.ops.roles import EDITORS, VIEWERS
from backend.wiring import answer_config
from tests.backend.test_api_roles import user_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_indexing(monkeypatch):
    monkeypatch.setattr("backend.knowledge.services.enqueue_on_commit", lambda *a: None)


def exchange(question: str, outcome: str = "answered", confidence: float = 0.9) -> Message:
    conversation = Conversation.objects.create(language="de")
    Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)
    retrieved = [{"n": 1, "url": "https://v.example/", "relevant": True, "confidence": confidence}]
    return Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text="…", outcome=outcome,
        retrieved=retrieved if outcome == "answered" else [],
    )  # fmt: skip


def test_unanswered_thumbs_down_and_low_confidence_answers_are_gaps_confident_ones_not():
    threshold = answer_config().min_confidence
    exchange("Gibt es einen Parkplatz?", "unanswered")
    rated = exchange("Was kostet die Halle für Geburtstage?")
    Feedback.objects.create(message=rated, rating=Feedback.Rating.DOWN, comment="Preis fehlt")
    exchange("Wer leitet den Chor?", confidence=threshold + 0.01)
    exchange("Wann ist Training?", confidence=min(1.0, threshold + 0.3))

    gaps = {gap.question: gap for gap in dashboard(30)["gaps"]}
    assert set(gaps) == {
        "Gibt es einen Parkplatz?", "Was kostet die Halle für Geburtstage?", "Wer leitet den Chor?"
    }  # fmt: skip
    assert gaps["Was kostet die Halle für Geburtstage?"].comments == ["Preis fehlt"]


def test_a_gap_leads_to_a_prefilled_entry_and_is_closed_once_it_exists(client):
    exchange("Gibt es einen Parkplatz?", "unanswered")
    exchange("Parkplatz am Verein?", "unanswered")
    exchange("Wer leitet den Chor?", "unanswered")
    client.force_login(user_in(EDITORS))
    page = client.get(reverse("admin:dashboard")).text
    assert "0 closed" in page and "2 open" in page
    links = re.findall(r'class="write-entry" href="([^"]+)"', page)
    assert len(links) == 2
    parking = next(html.unescape(link) for link in links if "Parkplatz" in link)

    (wording,) = [g.question for g in dashboard(30)["gaps"] if "Parkplatz" in g.question]
    form = client.get(parking).text  # one click: the add form with the question in it
    assert f'name="question" value="{wording}"' in form
    response = client.post(
        parking, {"question": wording, "answer": "Hinter der Halle.", "language": "de"}
    )
    assert response.status_code == 302
    entry = KnowledgeEntry.objects.get()

    data = dashboard(30)
    closed = [gap for gap in data["gaps"] if gap.closed]
    assert [(gap.question, gap.entry_id) for gap in closed] == [(wording, entry.pk)]
    assert (data["gaps_open"], data["gaps_closed"]) == (1, 1)
    page = client.get(reverse("admin:dashboard")).text
    assert "1 open, 1 closed" in page
    assert reverse("admin:knowledge_knowledgeentry_change", args=[entry.pk]) in page


def test_viewers_see_the_gaps_but_no_link_to_write_an_entry(client):
    exchange("Gibt es einen Parkplatz?", "unanswered")
    client.force_login(user_in(VIEWERS))
    page = client.get(reverse("admin:dashboard")).text
    assert "Gibt es einen Parkplatz?" in page and "write-entry" not in page


def test_a_thumbs_down_and_a_conversation_lead_to_the_prefilled_entry(client):
    answer = exchange("Wo kann ich parken?", "answered")
    Feedback.objects.create(message=answer, rating=Feedback.Rating.DOWN, comment="Falsch")
    client.force_login(user_in(EDITORS))
    feedback_list = client.get(reverse("admin:chat_feedback_changelist")).text
    conversation = client.get(
        reverse("admin:chat_conversation_change", args=[answer.conversation_id])
    ).text
    # the conversation shows the thumbs-down with its comment, under the answer
    assert re.search(r'class="visitor-feedback">👎 Not helpful: „Falsch“', conversation)
    for page in (feedback_list, conversation):
        (link,) = re.findall(r'class="write-entry" href="([^"]+)"', page)
        form = client.get(html.unescape(link)).text
        assert 'name="question" value="Wo kann ich parken?"' in form
        assert '<option value="de" selected>' in form
        # and the entry's form shows it too, above the fields; "feedback" is no field
        assert re.search(r'class="visitor-feedback[^>]*>👎 .*Not helpful.*„Falsch“', form)
        assert 'name="feedback"' not in form


def test_the_comment_on_the_form_is_for_those_who_may_read_feedback_and_only_a_thumbs_down(
    client,
):
    answer = exchange("Wo kann ich parken?", "answered")
    feedback = Feedback.objects.create(message=answer, rating=Feedback.Rating.DOWN, comment="Alt")
    later = exchange("Gibt es Duschen?", "answered")  # another conversation: no thumbs-down
    client.force_login(user_in(EDITORS))
    other = client.get(reverse("admin:chat_conversation_change", args=[later.conversation_id])).text
    (link,) = re.findall(r'class="write-entry" href="([^"]+)"', other)
    assert "feedback=" not in link
    add = reverse("admin:knowledge_knowledgeentry_add")
    for query in ("?feedback=abc", "?feedback=999999"):
        assert client.get(add + query).status_code == 200
    writer = user_in(None)  # may write entries, may not read feedback
    writer.user_permissions.add(*Permission.objects.filter(codename__endswith="knowledgeentry"))
    client.force_login(writer)
    form = client.get(add + f"?question=x&feedback={feedback.pk}").text
    assert "Alt" not in form and "visitor-feedback" not in form


def test_the_dashboards_link_opens_the_form_in_the_gaps_language_with_its_thumbs_down(client):
    answer = exchange("Is there a car park?", "answered")
    Conversation.objects.filter(pk=answer.conversation_id).update(language="en")
    Feedback.objects.create(message=answer, rating=Feedback.Rating.DOWN, comment="No prices")
    client.force_login(user_in(EDITORS))
    page = client.get(reverse("admin:dashboard")).text
    (link,) = re.findall(r'class="write-entry" href="([^"]+)"', page)
    form = client.get(html.unescape(link)).text
    assert 'name="question" value="Is there a car park?"' in form
    assert '<option value="en" selected>' in form
    assert re.search(r'class="visitor-feedback[^>]*>👎 .*„No prices“', form)
