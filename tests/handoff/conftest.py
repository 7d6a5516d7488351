"""Hand-off fixtures: the public endpoints' settings, a conversation with an answer, local
receivers, and a way to run the delivery task as a worker would."""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.chat.models import Conversation, Message
from backend.handoff.models import HandOff, HandOffSettings
from backend.ops import counters
from tests.handoff.receivers import Receiver

ORIGIN = {"origin": "https://www.verein.example"}


@pytest.fixture(autouse=True)
def handoff_settings():
    with override_settings(
        WEBSITE_HOST=["https://www.verein.example"],
        CHAT_RATE_LIMIT_PER_IP=1000,
        CHAT_RATE_LIMIT_PER_CONVERSATION=1000,
        OPENAI_API_KEY="",
        OPENAI_BASE_URL="",
        HANDOFF_WEBHOOK_SECRET="s3cret-for-tests",
        ZAMMAD_TOKEN="zammad-token",
        CHATWOOT_API_TOKEN="chatwoot-token",
        HANDOFF_DELIVERY_RETRIES=2,
        HANDOFF_DELIVERY_TIMEOUT=2.0,
        # the stand-ins listen on loopback, which the network guard refuses by default
        HANDOFF_ALLOWED_NETWORKS=["127.0.0.0/8"],
    ):
        counters.local_counters.clear()
        yield
        counters.local_counters.clear()


@pytest.fixture
def conversation():
    """A conversation in which Lotse answered once, citing a page, and once did not know."""
    conversation = Conversation.objects.create(language="de", origin="https://www.verein.example")
    Message.objects.create(conversation=conversation, role="user", text="Wie hoch ist der Beitrag?")
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="Der Jahresbeitrag beträgt 60 Euro [1].",
        outcome="answered",
        sources=[
            {"n": 1, "title": "Beiträge", "url": "https://verein.example/beitraege/", "page": None}
        ],
    )
    Message.objects.create(conversation=conversation, role="user", text="Und <b>Rabatte</b>?")
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="Das weiß ich nicht.",
        outcome="unanswered",
    )
    return conversation


def make_handoff(conversation, channel: str, **fields) -> HandOff:
    values = {
        "name": "Erika Muster",
        "email": "erika@example.org",
        "phone": "+49 30 1234567",
        "message": "Bitte rufen Sie mich an. <script>alert(1)</script>",
        "consent_given": True,
        "consent_text": "Ich stimme zu.",
        "language": "de",
        "reason": "unanswered",
        **fields,
    }
    return HandOff.objects.create(conversation=conversation, channel=channel, **values)


def configure(**fields) -> HandOffSettings:
    config = HandOffSettings.current()
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


@pytest.fixture
def receiver():
    """receiver(answer) -> a started local HTTP server; stopped after the test."""
    started: list[Receiver] = []

    def start(answer) -> Receiver:
        server = Receiver(answer).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def queued(monkeypatch):
    """What the delivery task enqueued for later (its in-process retries), instead of running
    it after a wait: [(task name, args, countdown)]."""
    sent: list[tuple] = []

    def capture(task_name, *args, countdown=None, **kwargs):
        sent.append((task_name, args, countdown))

    monkeypatch.setattr("workers.tasks.main.enqueue", capture)
    return sent
