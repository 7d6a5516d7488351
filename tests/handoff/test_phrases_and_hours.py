"""Which messages ask for a person (German and English), and when people are there."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from backend.handoff.hours import is_open, supporter_available
from backend.handoff.models import Holiday, OpeningHours
from backend.handoff.phrases import asks_for_person


@pytest.mark.parametrize(
    "text",
    [
        "Ich möchte mit einem Menschen sprechen",
        "ich möchte mit einem menschen sprechen!!",
        "Kann ich mit einem Mitarbeiter reden?",
        "Kann ich bitte mit jemandem sprechen?",
        "Ich will einen echten Menschen",
        "Verbinden Sie mich mit dem Support",
        "Mitarbeiter bitte",
        "Mensch",
        "I want to talk to a human",
        "Can I speak to someone?",
        "talk to a real person please",
        "connect me with an agent",
        "I need a human",
        "agent",
    ],
)
def test_asking_for_a_person(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "Wer ist der Ansprechpartner für Beiträge?",
        "Ich möchte wissen, welche Person für Beiträge zuständig ist",
        "Wie viele Menschen sind im Verein?",
        "Welche Mitarbeiter arbeiten im Büro?",
        "How many people attend the course?",
        "Who can I speak to about fees?",
        "Is the human resources office open?",
        "What does a travel agent charge?",
    ],
)
def test_questions_that_only_mention_people(text):
    assert not asks_for_person(text)


@pytest.fixture
def office_hours(db):
    OpeningHours.objects.create(weekday=0, opens=time(9), closes=time(12))  # Monday
    OpeningHours.objects.create(weekday=0, opens=time(14), closes=time(17))
    Holiday.objects.create(date="2026-12-28", name="Betriebsferien")  # a Monday


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Europe/Berlin is UTC+1 in December: 09:30 local is 08:30 UTC
        (datetime(2026, 12, 7, 8, 30, tzinfo=UTC), True),
        (datetime(2026, 12, 7, 7, 59, tzinfo=UTC), False),  # 08:59 local
        (datetime(2026, 12, 7, 11, 0, tzinfo=UTC), False),  # 12:00 local: closed at noon
        (datetime(2026, 12, 7, 13, 0, tzinfo=UTC), True),  # 14:00 local
        (datetime(2026, 12, 8, 8, 30, tzinfo=UTC), False),  # Tuesday: no hours
        (datetime(2026, 12, 28, 8, 30, tzinfo=UTC), False),  # holiday
        # summer time, UTC+2: 09:30 local on Monday 6 July is 07:30 UTC
        (datetime(2026, 7, 6, 7, 30, tzinfo=UTC), True),
    ],
)
def test_opening_hours_and_holidays_in_local_time(office_hours, utc, expected):
    assert is_open(utc) is expected


def test_no_supporter_is_available_before_live_chat_exists(office_hours):
    assert is_open(datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
    assert supporter_available(datetime(2026, 12, 7, 8, 30, tzinfo=UTC)) is False
