"""The dashboard's hand-off numbers (backend/insights/handoffs.py) against fixtures, and the
offer of a person that is neither a question nor a content gap."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from backend.chat.models import Conversation, Feedback, Message
from backend.handoff.models import DeliveryAttempt, HandOff
from backend.insights.handoffs import duration, handoff_stats, start_of
from backend.insights.selectors import dashboard

pytestmark = pytest.mark.django_db


def conversation(question: str = "Wann ist Training?", *, at=None) -> Conversation:
    talk = Conversation.objects.create(language="de")
    message = Message.objects.create(conversation=talk, role=Message.Role.USER, text=question)
    if at is not None:
        Message.objects.filter(pk=message.pk).update(created_at=at)
    return talk


def handoff(kind: str, at, *, taken_after=None, channel="", **fields) -> HandOff:
    item = HandOff.objects.create(
        conversation=conversation("Ich möchte mit einem Menschen sprechen", at=at),
        kind=kind,
        channel=channel,
        message="Bitte rufen Sie mich an.",
        **fields,
    )
    taken = at + timedelta(seconds=taken_after) if taken_after is not None else None
    HandOff.objects.filter(pk=item.pk).update(created_at=at, taken_at=taken)
    return item


def attempt(item: HandOff, after: int, *, ok: bool) -> None:
    row = DeliveryAttempt.objects.create(handoff=item, channel=item.channel, ok=ok, final=ok)
    created = HandOff.objects.get(pk=item.pk).created_at
    DeliveryAttempt.objects.filter(pk=row.pk).update(at=created + timedelta(seconds=after))


@pytest.fixture
def week():
    today = timezone.localdate()
    first_day = today - timedelta(days=6)

    def at(days_ago: int, hour: int):
        return start_of(today - timedelta(days=days_ago)) + timedelta(hours=hour)

    handoff("live", at(1, 10), taken_after=60, status="ended")
    handoff("live", at(1, 11), taken_after=300, status="active")
    handoff("live", at(0, 9), status="waiting")  # never taken
    delivered = handoff("ticket", at(2, 10), channel="webhook", status="ticket_created")
    attempt(delivered, 5, ok=False)
    attempt(delivered, 30, ok=True)
    failed = handoff("ticket", at(2, 11), channel="webhook", status="ticket_failed")
    attempt(failed, 5, ok=False)
    handoff("ticket", at(2, 12), status="ticket_created")  # kept in Lotse: no delivery
    handoff("ticket", at(10, 12), channel="webhook")  # before the period
    for _ in range(4):
        conversation()
    return first_day, today


def test_handoff_numbers(week):
    first_day, today = week
    stats = handoff_stats(first_day, today)
    assert (stats["tickets"], stats["live"]) == (3, 3)
    assert len(stats["per_day"]) == 7
    by_day = {row["day"]: (row["tickets"], row["live"]) for row in stats["per_day"]}
    assert by_day[today - timedelta(days=2)] == (3, 0)
    assert by_day[today - timedelta(days=1)] == (0, 2)
    assert by_day[today] == (0, 1)
    assert sum(row["tickets"] + row["live"] for row in stats["per_day"]) == 6
    # live: created -> taken over; the one never taken has no waiting time, it is counted
    assert (stats["live_wait_p50"], stats["live_wait_p95"]) == (60, 300)
    assert stats["never_taken"] == 1
    # tickets: created -> the first successful delivery attempt (not the failed one before)
    assert (stats["ticket_wait_p50"], stats["ticket_wait_p95"]) == (30, 30)
    assert stats["undelivered"] == 1
    # 6 of the 10 conversations with a question in the period were handed off
    assert (stats["conversations_handed_off"], stats["conversations"]) == (6, 10)
    assert stats["handed_off_pct"] == 60


def test_an_empty_period():
    handoff("live", timezone.now() - timedelta(days=40), taken_after=10)
    stats = dashboard(7)["handoffs"]
    assert (stats["tickets"], stats["live"], stats["never_taken"]) == (0, 0, 0)
    assert stats["live_wait_p50"] is None and stats["ticket_wait_p95"] is None
    assert stats["handed_off_pct"] is None and stats["conversations"] == 0
    assert [(row["tickets"], row["live"]) for row in stats["per_day"]] == [(0, 0)] * 7


def test_a_handoff_never_taken_has_no_waiting_time():
    handoff("live", timezone.now() - timedelta(minutes=5), status="waiting")
    stats = dashboard(7)["handoffs"]
    assert stats["live"] == 1 and stats["never_taken"] == 1
    assert stats["live_wait_p50"] is None and stats["handed_off_pct"] == 100


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Tickets: 3, live chats: 3", "60 % of conversations handed off (6 of 10)",
                "p50 1 min 0 s, p95 5 min 0 s", "1 never taken over", "1 not delivered",
                "p50 30 s, p95 30 s"]),
        ("de", ["Tickets: 3, Live-Chats: 3", "60 % der Gespräche übergeben (6 von 10)",
                "p50 1 Min. 0 s, p95 5 Min. 0 s", "1 nie übernommen", "1 nicht zugestellt",
                "p50 30 s, p95 30 s"]),
    ],
)  # fmt: skip
def test_the_dashboard_shows_them(editor_client, week, language, expected):
    page = editor_client.get(
        reverse("admin:dashboard"), {"days": 7}, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert 'id="handoffs"' in page
    for text in expected:
        assert text in page


def test_durations():
    with translation.override("en"):
        assert [duration(v) for v in (None, 4.4, 59.6, 200, 7500)] == [
            "-", "4 s", "1 min 0 s", "3 min 20 s", "2 h 5 min",
        ]  # fmt: skip
    with translation.override("de"):
        assert duration(7500) == "2 Std. 5 Min."


def test_the_offer_of_a_person_is_no_question_and_no_gap():
    asked = conversation("Ich möchte mit einem Menschen sprechen")
    offer = Message.objects.create(
        conversation=asked, role=Message.Role.ASSISTANT, text="Gern. Hinterlassen Sie …"
    )
    Feedback.objects.create(message=offer, rating=Feedback.Rating.DOWN, comment="zu langsam")
    talk = conversation("Gibt es einen Parkplatz?")
    Message.objects.create(
        conversation=talk, role=Message.Role.ASSISTANT, text="…", outcome="unanswered"
    )
    data = dashboard(30)
    assert (data["questions"], data["unanswered"]) == (1, 1)
    assert sum(d["answered"] + d["unanswered"] + d["other"] for d in data["per_day"]) == 1
    assert [gap.question for gap in data["gaps"]] == ["Gibt es einen Parkplatz?"]


def test_the_api_gives_the_same_numbers(week):
    from django.contrib.auth.models import Group, User
    from rest_framework.test import APIClient

    from backend.ops.roles import VIEWERS

    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name=VIEWERS))
    client = APIClient()
    client.force_authenticate(viewer)
    data = client.get("/api/v1/handoff-stats/", {"days": 7}).json()
    assert data["days"] == 7 and (data["tickets"], data["live"]) == (3, 3)
    assert (data["live_wait_p50"], data["live_wait_p95"], data["ticket_wait_p50"]) == (60, 300, 30)
    assert (data["never_taken"], data["undelivered"], data["handed_off_pct"]) == (1, 1, 60)
    assert data["per_day"][-1] == {"day": str(timezone.localdate()), "tickets": 0, "live": 1}
    assert len(data["per_day"]) == 7
    for wrong in ("0", "366", "x", "-1"):
        response = client.get("/api/v1/handoff-stats/", {"days": wrong})
        assert response.status_code == 400 and "days" in response.json()
