"""Evaluation fixtures: the chat tests' small indexed site, editors, and test questions."""

from __future__ import annotations

import pytest

from backend.evaluation.models import TestQuestion
from tests.backend.conftest import editor_client  # noqa: F401  (fixture)
from tests.chat.conftest import PDF_URL, chat_settings, corpus  # noqa: F401  (fixtures)

NOT_INDEXED_URL = "https://verein.example/gibt-es-nicht/"


@pytest.fixture
def questions(db):
    """Questions about the chat tests' corpus: three the site answers (one on a PDF page), one
    whose page was never indexed, one the site cannot answer."""
    made = [
        TestQuestion.objects.create(
            question="Wie hoch ist der Jahresbeitrag für Kinder?",
            expected_url="https://verein.example/beitraege",  # no trailing slash: same page
            expected_passage="60 Euro",
        ),
        TestQuestion.objects.create(
            question="Wann ist Kinderturnen?",
            expected_url="https://verein.example/training/",
        ),
        TestQuestion.objects.create(
            question="Wann findet die Mitgliederversammlung statt?",
            expected_url=PDF_URL,
            expected_page=2,
            expected_passage="einmal im Jahr im Mai",
        ),
        TestQuestion.objects.create(
            question="Wann ist das Sommerfest?", expected_url=NOT_INDEXED_URL
        ),
        TestQuestion.objects.create(question="Wie ist das Wetter in Paris?", cannot_answer=True),
    ]
    TestQuestion.objects.create(
        question="Inaktiv", expected_url="https://verein.example/training/", active=False
    )
    return made
