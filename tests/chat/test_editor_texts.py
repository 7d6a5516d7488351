"""Texts editors change in the admin reach the chat without a deploy."""

from __future__ import annotations

import pytest

from backend import wiring
from backend.chat.models import ChatTexts
from tests.chat.conftest import ask
from tests.fake_openai import Reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("corpus"),
]


def test_editor_system_prompt_and_dont_know_text_are_used(fake_llm):
    ChatTexts.objects.create(
        language="de",
        system_prompt="Antworte nur aus den Quellen und zitiere sie. (Redaktion)",
        dont_know="Das steht nicht auf unserer Seite.",
    )
    fake_llm.default = Reply("Erwachsene zahlen 120 Euro [1].")
    ask("Wie hoch ist der Jahresbeitrag?")
    system = fake_llm.chat_requests[0]["messages"][0]
    assert system["content"] == "Antworte nur aus den Quellen und zitiere sie. (Redaktion)"

    result = ask("Wie wird das Wetter morgen in Paris?")
    assert result.text.startswith("Das steht nicht auf unserer Seite.")
    assert result.of("done")[0]["outcome"] == "unanswered"


def test_widget_config_gives_greeting_and_suggestions(client, settings):
    settings.WEBSITE_HOST = ["https://www.verein.example"]
    default = client.get("/api/v1/chat/config/", {"language": "en"}).json()
    assert default == {
        "language": "en",
        "greeting": "Hello! Ask me anything about our website.",
        "suggested_questions": [],
    }
    ChatTexts.objects.create(
        language="de", greeting="Moin!", suggested_questions="Wann ist Training?\n\nBeitrag?\n"
    )
    response = client.get(
        "/api/v1/chat/config/", {"language": "de"}, HTTP_ORIGIN="https://www.verein.example"
    )
    assert response.json()["suggested_questions"] == ["Wann ist Training?", "Beitrag?"]
    assert response["Access-Control-Allow-Origin"] == "https://www.verein.example"
    refused = client.get("/api/v1/chat/config/", HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403


def test_texts_are_kept_per_process_and_renewed_on_save_or_expiry(monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.chat import services

    texts = ChatTexts.objects.create(language="de", dont_know="Erste Fassung.")
    assert services.editor_texts_applied(wiring.answer_config()).dont_know_texts["de"] == (
        "Erste Fassung."
    )
    with CaptureQueriesContext(connection) as queries:
        services.editor_texts_applied(wiring.answer_config())
    assert len(queries) == 0  # kept: a turn does not ask the database again

    texts.dont_know = "Zweite Fassung."
    texts.save()  # this process (the admin's) sees the change at once
    config = services.editor_texts_applied(wiring.answer_config())
    assert config.dont_know_texts["de"] == "Zweite Fassung."

    ChatTexts.objects.filter(pk=texts.pk).update(dont_know="Von anderswo.")  # no signal here
    assert services.editor_texts_applied(wiring.answer_config()).dont_know_texts["de"] == (
        "Zweite Fassung."
    )
    monkeypatch.setattr(services, "EDITOR_TEXTS_SECONDS", 0.0)  # as if the time had passed
    assert services.editor_texts_applied(wiring.answer_config()).dont_know_texts["de"] == (
        "Von anderswo."
    )
