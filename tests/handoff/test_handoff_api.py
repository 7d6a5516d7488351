"""The public hand-off endpoints and the chat's answer to "talk to a human"."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import override_settings

from backend.chat.models import Conversation, Message
from backend.handoff.models import HandOff
from tests.chat.conftest import asgi_request, ask, run
from tests.handoff.conftest import ORIGIN, configure
from workers.names import Task

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {
    "name": "Erika",
    "email": "erika@example.org",
    "message": "Bitte melden Sie sich. <img src=x onerror=alert(1)>",
    "consent": True,
    "language": "de",
    "reason": "unanswered",
}


@pytest.fixture
def sent_later(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "backend.handoff.services.enqueue_on_commit", lambda name, *args: sent.append((name, args))
    )
    return sent


def post(body, **kwargs) -> object:
    kwargs.setdefault("headers", ORIGIN)
    return run(asgi_request("/api/v1/chat/handoff/", body, **kwargs))


def test_the_form_stores_a_ticket_and_sends_it(conversation, sent_later):
    configure(delivery="webhook", webhook_url="https://hooks.example.org/lotse")
    result = post({**FORM, "conversation_id": str(conversation.pk)})

    assert result.status == 201, result.body
    assert result.headers["access-control-allow-origin"] == "https://www.verein.example"
    body = result.json
    handoff = HandOff.objects.get(pk=body["id"])
    assert body == {
        "id": handoff.pk, "conversation_id": str(conversation.pk), "kind": "ticket",
        "status": "received",
    }  # fmt: skip
    assert (handoff.status, handoff.channel, handoff.reason) == (
        "requested",
        "webhook",
        "unanswered",
    )
    assert handoff.message == FORM["message"]  # stored as typed: text, never rendered
    assert handoff.consent_given and "weitergegeben" in handoff.consent_text
    assert sent_later == [(Task.DELIVER_HANDOFF, (handoff.pk,))]

    # the same form sent twice (a double click) is one ticket
    again = post({**FORM, "conversation_id": str(conversation.pk)})
    assert (again.status, again.json["id"]) == (200, handoff.pk)
    assert HandOff.objects.count() == 1 and len(sent_later) == 1


def test_without_a_conversation_one_is_opened(sent_later):
    result = post({**FORM, "email": "", "phone": "+49 (30) 123-4567"})
    assert result.status == 201
    conversation = Conversation.objects.get(pk=result.json["conversation_id"])
    assert conversation.origin == "https://www.verein.example"
    # no delivery chosen: the ticket is kept in Lotse, nothing is sent
    assert HandOff.objects.get().status == "ticket_created" and sent_later == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "", "phone": "call me"}, "phone"),
        ({"consent": False}, "consent"),
        ({"message": "   "}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"name": "Erika\u0000"}, "name"),
        ({"name": "Erika\nBcc: all"}, "name"),
        ({"message": "hallo \u202e\u0007"}, "message"),
        ({"conversation_id": "not-a-uuid"}, "conversation_id"),
        ({"consent": "maybe"}, "consent"),
        ({"email": ["a@b.c"]}, "email"),
    ],
)
def test_hostile_or_broken_forms_get_a_400_with_the_reason(change, field, sent_later):
    result = post({**FORM, **change})
    assert result.status == 400, result.body
    assert result.json["code"] == "invalid_request"
    assert field in result.json["errors"]
    assert HandOff.objects.count() == 0 and sent_later == []


@pytest.mark.parametrize("raw", [b"not json", b"[1]", b'{"a": NaN}', b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object(raw):
    result = post(raw)
    assert (result.status, result.json["code"]) == (400, "invalid_json")


def test_an_unknown_conversation_and_a_foreign_origin(sent_later):
    result = post({**FORM, "conversation_id": str(uuid.uuid4())})
    assert (result.status, result.json["code"]) == (404, "unknown_conversation")
    refused = post(FORM, headers={"origin": "https://evil.example"})
    assert refused.status == 403 and "access-control-allow-origin" not in refused.headers
    assert HandOff.objects.count() == 0


def test_one_conversation_sends_a_limited_number(conversation, sent_later):
    with override_settings(HANDOFF_MAX_PER_CONVERSATION=2):
        for n in range(2):
            assert (
                post(
                    {**FORM, "message": f"Nr. {n}", "conversation_id": str(conversation.pk)}
                ).status
                == 201
            )
        result = post({**FORM, "message": "Nr. 3", "conversation_id": str(conversation.pk)})
    assert (result.status, result.json["code"]) == (409, "handoff_limit")


def test_throttled_like_the_chat(sent_later):
    with override_settings(CHAT_RATE_LIMIT_PER_IP=2):
        statuses = [post({**FORM, "message": f"Nr. {n}"}).status for n in range(3)]
    assert statuses == [201, 201, 429]


def test_switched_off_by_editors(sent_later):
    configure(enabled=False)
    result = post(FORM)
    assert (result.status, result.json["code"]) == (403, "handoff_unavailable")


def test_the_options_say_form_not_live_with_the_consent_text(client):
    configure(consent_text_en="I agree to be contacted.")
    result = client.get("/api/v1/chat/handoff/options/?language=en", HTTP_ORIGIN=ORIGIN["origin"])
    assert result.status_code == 200
    assert result["access-control-allow-origin"] == ORIGIN["origin"]
    assert result.json() == {
        "enabled": True, "open": False, "live": False,
        "consent_text": "I agree to be contacted.", "language": "en",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("question", "language"),
    [("Ich möchte mit einem Menschen sprechen", "de"), ("Can I talk to a human?", "en")],
)
def test_the_chat_offers_a_person_when_asked_for_one(question, language):
    result = ask(question, headers=ORIGIN, language=language)

    assert result.status == 200
    assert [kind for kind, _ in result.events] == ["token", "handoff", "done"]
    (offer,) = result.of("handoff")
    assert offer["reason"] == "asked" and offer["live"] is False and offer["consent_text"]
    (done,) = result.of("done")
    assert done["outcome"] == "handoff"
    stored = Message.objects.get(pk=done["message_id"])
    # in the transcript, but neither answered nor a content gap
    assert (stored.role, stored.outcome, stored.text) == ("assistant", "", result.text)
    assert result.text.startswith("Of course." if language == "en" else "Gern.")


def test_the_chat_in_json_mode_carries_the_offer():
    result = ask("talk to a human", headers=ORIGIN, stream=False)
    body = json.loads(result.body)
    assert body["outcome"] == "handoff" and body["handoff"]["live"] is False


def test_no_offer_when_editors_switched_hand_off_off(monkeypatch):
    configure(enabled=False)
    seen = []
    monkeypatch.setattr(
        "backend.chat.api.views.answer_events", lambda turn: seen.append(turn) or empty()
    )
    ask("Ich möchte mit einem Menschen sprechen", headers=ORIGIN)
    assert len(seen) == 1  # answered like any question


async def empty():
    return
    yield
