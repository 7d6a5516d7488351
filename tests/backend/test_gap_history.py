"""Open and closed content gaps over time: opened with the first question, closed by an entry
written later (or before), reopened when the entry is deleted or expires; per week as the
dashboard shows them, and what the gap table says about an expired entry."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from backend.chat.models import Conversation, Feedback, Message
from backend.insights.gap_history import weeks
from backend.insights.selectors import dashboard
from backend.knowledge.models import DeletedEntry, KnowledgeEntry
from backend.ops.roles import EDITORS, VIEWERS
from backend.wiring import answer_config
from tests.backend.test_api_roles import user_in

pytestmark = pytest.mark.django_db

DAYS = 28  # four weeks: days -27..-21, -20..-14, -13..-7, -6..0


@pytest.fixture(autouse=True)
def no_indexing(monkeypatch):
    monkeypatch.setattr("backend.knowledge.services.enqueue_on_commit", lambda *a: None)


def noon(days_ago: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(12)))


def asked(question: str, days_ago: int, outcome: str = "unanswered", confidence=0.9) -> Message:
    conversation = Conversation.objects.create(language="de")
    Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)
    retrieved = [{"n": 1, "url": "https://v.example/", "relevant": True, "confidence": confidence}]
    answer = Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text="…", outcome=outcome,
        retrieved=retrieved if outcome == "answered" else [],
    )  # fmt: skip
    Message.objects.filter(pk=answer.pk).update(created_at=noon(days_ago))
    return answer


def entry(question: str, days_ago: int, **fields) -> KnowledgeEntry:
    written = KnowledgeEntry.objects.create(question=question, answer="Die Antwort.", **fields)
    KnowledgeEntry.objects.filter(pk=written.pk).update(created_at=noon(days_ago))
    written.refresh_from_db()
    return written


@pytest.fixture
def history():
    """A: asked day -20, entry written later (day -10). B: asked day -20, entry day -15,
    deleted day -5. C: thumbs-down day -12, entry day -11 valid until day -3. D: low
    confidence day -2, no entry. E: asked day -8, its entry written before (day -25)."""
    asked("Gibt es einen Parkplatz?", 20)
    asked("Parkplatz am Verein?", 18)  # a second wording of A, later
    asked("Wer leitet den Chor?", 20)
    rated = asked("Was kostet die Halle für Geburtstage?", 12, outcome="answered")
    Feedback.objects.create(message=rated, rating=Feedback.Rating.DOWN, comment="Preis fehlt")
    asked("Gibt es Duschen?", 2, "answered", confidence=answer_config().min_confidence + 0.01)
    asked("Darf man Hunde mitbringen?", 8)

    entry("Gibt es einen Parkplatz?", 10)
    choir = entry("Wer leitet den Chor?", 15)
    choir.delete()
    DeletedEntry.objects.filter(question="Wer leitet den Chor?").update(deleted_at=noon(5))
    hall = entry("Was kostet die Halle für Geburtstage?", 11, valid_until=noon(3))
    dogs = entry("Darf man Hunde mitbringen?", 25)
    return {"hall": hall, "dogs": dogs}


def test_gaps_opened_closed_reopened_and_still_open_per_week(history):
    data = dashboard(DAYS)
    rows = [(r["opened"], r["closed"], r["reopened"], r["open"]) for r in data["gaps_per_week"]]
    assert rows == [
        (0, 0, 0, 0),  # days -27..-21: the entry for E exists, no gap yet
        (2, 1, 0, 1),  # A and B asked; B closed by its entry (day -15)
        (2, 3, 0, 0),  # C and E asked; A closed by an entry written later, C, E at once
        (1, 0, 2, 3),  # D asked; B's entry deleted, C's expired: B, C, D open
    ]
    today = timezone.localdate()
    assert [(r["start"], r["end"]) for r in data["gaps_per_week"]] == [
        (today - timedelta(days=27), today - timedelta(days=21)),
        (today - timedelta(days=20), today - timedelta(days=14)),
        (today - timedelta(days=13), today - timedelta(days=7)),
        (today - timedelta(days=6), today),
    ]
    assert (data["gaps_open"], data["gaps_closed"]) == (3, 2)


def test_the_gap_table_agrees_and_points_at_the_expired_entry_instead_of_a_new_one(history):
    gaps = {gap.question: gap for gap in dashboard(DAYS)["gaps"]}
    (parking,) = [gap for gap in gaps.values() if "Gibt es einen Parkplatz?" in gap.examples]
    assert parking.closed and parking.count == 2
    assert gaps["Darf man Hunde mitbringen?"].entry_id == history["dogs"].pk
    assert not gaps["Wer leitet den Chor?"].closed  # deleted: open again, nothing to point at
    assert gaps["Wer leitet den Chor?"].idle_entry_id is None
    hall = gaps["Was kostet die Halle für Geburtstage?"]
    assert not hall.closed and hall.idle_entry_id == history["hall"].pk
    assert not gaps["Gibt es Duschen?"].closed


def test_the_api_gives_what_the_dashboard_shows(history):
    client = APIClient()
    client.force_authenticate(user_in(VIEWERS))
    body = client.get("/api/v1/gaps/", {"days": DAYS}).json()
    assert (body["days"], body["open"], body["closed"]) == (DAYS, 3, 2)
    rows = [(r["opened"], r["closed"], r["reopened"], r["open"]) for r in body["per_week"]]
    assert rows == [(0, 0, 0, 0), (2, 1, 0, 1), (2, 3, 0, 0), (1, 0, 2, 3)]
    assert body["per_week"][-1]["end"] == timezone.localdate().isoformat()
    gaps = {gap["question"]: gap for gap in body["gaps"]}
    hall = gaps["Was kostet die Halle für Geburtstage?"]
    assert (hall["closed"], hall["entry"], hall["entry_outside_validity"]) == (
        False, None, history["hall"].pk
    )  # fmt: skip
    assert hall["comments"] == ["Preis fehlt"]
    dogs = gaps["Darf man Hunde mitbringen?"]
    assert (dogs["closed"], dogs["entry"]) == (True, history["dogs"].pk)
    assert dogs["first_asked"].startswith(str(timezone.localdate() - timedelta(days=8)))
    for days in ("0", "366", "abc", "-1", "3.5", "²", "٣"):
        refused = client.get("/api/v1/gaps/", {"days": days})
        assert refused.status_code == 400 and "days" in refused.json(), days


def test_an_entry_valid_only_from_tomorrow_does_not_close_its_gap_yet():
    asked("Gibt es einen Parkplatz?", 3)
    entry("Gibt es einen Parkplatz?", 1, valid_from=timezone.now() + timedelta(days=1))
    data = dashboard(DAYS)
    assert [r["closed"] for r in data["gaps_per_week"]] == [0, 0, 0, 0]
    assert data["gaps_per_week"][-1]["open"] == 1 and data["gaps_open"] == 1


def test_deleting_an_entry_keeps_what_the_history_needs():
    written = entry("Gibt es einen Parkplatz?", 4, alternative_questions="Wo parken?")
    written.delete()
    (gone,) = DeletedEntry.objects.all()
    assert (gone.question, gone.phrasings(), gone.created_at) == (
        "Gibt es einen Parkplatz?", ["Wo parken?"], noon(4)
    )  # fmt: skip


def test_deleted_entries_are_kept_as_long_as_the_longest_dashboard_looks_back():
    entry("Wer leitet den Chor?", 500).delete()
    DeletedEntry.objects.update(deleted_at=timezone.now() - timedelta(days=367))
    entry("Gibt es einen Parkplatz?", 10).delete()  # each deletion drops the too old ones
    assert list(DeletedEntry.objects.values_list("question", flat=True)) == [
        "Gibt es einen Parkplatz?"
    ]


def test_weeks_end_today_and_the_oldest_is_cut_at_the_period():
    today = timezone.localdate()
    periods = weeks(today - timedelta(days=29), today)
    assert len(periods) == 5 and periods[-1] == (today - timedelta(days=6), today)
    assert periods[0] == (today - timedelta(days=29), today - timedelta(days=28))


def test_the_dashboard_shows_the_weeks_in_german(history, client):
    client.force_login(user_in(EDITORS))
    with translation.override("de"):
        page = client.get(reverse("admin:dashboard") + f"?days={DAYS}", HTTP_ACCEPT_LANGUAGE="de")
    text = page.text
    assert "Inhaltslücken pro Woche" in text and "noch offen" in text
    rows = re.findall(
        r'<tr data-week="[^"]+">.*?data-stat="opened">(\d+)<.*?data-stat="closed">(\d+)<'
        r'.*?data-stat="reopened">(\d+)<.*?data-stat="open">(\d+)<',
        text,
    )
    assert rows == [("0", "0", "0", "0"), ("2", "1", "0", "1"), ("2", "3", "0", "0"),
                    ("1", "0", "2", "3")]  # fmt: skip
    assert text.count("<title>") >= 4 + DAYS  # a title per week's bars (and per day's)
    assert "Eintrag außerhalb seiner Gültigkeit" in text


def test_the_inverted_index_finds_exactly_what_comparing_every_pair_finds():
    import random

    from backend.insights.gaps import SIMILAR, Wordings, cosine, vector
    from rag.embeddings.sparse import SparseEncoder

    rng = random.Random(7)
    words = "Parkplatz Halle Training Kinder Beitrag Chor Dusche Hund Kurs Preis wann wo".split()
    texts = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(120)]
    encoder = SparseEncoder()
    vectors = [vector(encoder, text) for text in texts]
    index = Wordings()
    for weights in vectors[:60]:
        index.add(weights)
    for weights in vectors[60:]:
        pairwise = [i for i, other in enumerate(vectors[:60]) if cosine(weights, other) >= SIMILAR]
        assert index.similar(weights) == pairwise
    assert any(index.similar(weights) for weights in vectors[60:])  # the sample has matches
