"""The signed webhook: a local receiver that checks the signature, one that is down (retried,
then failed, then sent again from the admin and delivered), and the network guard."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.test import override_settings

from backend.handoff.models import DeliveryAttempt, HandOff
from backend.handoff.services import resend
from tests.handoff.conftest import configure, make_handoff
from workers.names import Task
from workers.tasks.main import deliver_handoff_task

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


def checks_signature(seen):
    """A receiver as docs/operators.md tells one to write it."""
    expected = "sha256=" + hmac.new(SECRET.encode(), seen.raw, hashlib.sha256).hexdigest()
    if seen.method != "POST" or seen.path != "/hooks/lotse":
        return 404, {"error": "no such hook"}
    if not hmac.compare_digest(seen.headers.get("x-lotse-signature", ""), expected):
        return 401, {"error": "bad signature"}
    return 200, {"id": "T-1"}


@pytest.fixture
def sent_later(monkeypatch):
    """Deliveries the services enqueue after their commit (a new ticket, a re-send)."""
    sent = []
    monkeypatch.setattr(
        "backend.handoff.services.enqueue_on_commit", lambda name, *args: sent.append((name, args))
    )
    return sent


def test_the_transcript_goes_out_signed_with_answers_and_sources(conversation, receiver, queued):
    hook = receiver(checks_signature)
    configure(delivery="webhook", webhook_url=hook.url + "/hooks/lotse")
    handoff = make_handoff(conversation, "webhook")

    deliver_handoff_task.apply(args=[handoff.pk])

    handoff.refresh_from_db()
    assert (handoff.status, handoff.ticket_reference) == ("ticket_created", "T-1")
    (seen,) = hook.requests
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-lotse-event"] == "handoff.ticket"
    assert seen.headers["x-lotse-handoff"] == str(handoff.pk)
    payload = seen.json
    assert payload["conversation_id"] == str(conversation.pk)
    assert payload["contact"] == {
        "name": "Erika Muster",
        "email": "erika@example.org",
        "phone": "+49 30 1234567",
    }
    assert payload["consent"] == {"given": True, "text": "Ich stimme zu."}
    # markup stays text, exactly as typed
    assert payload["message"] == "Bitte rufen Sie mich an. <script>alert(1)</script>"
    turns = [(t["role"], t["text"], t["outcome"]) for t in payload["transcript"]]
    assert turns == [
        ("user", "Wie hoch ist der Beitrag?", ""),
        ("assistant", "Der Jahresbeitrag beträgt 60 Euro [1].", "answered"),
        ("user", "Und <b>Rabatte</b>?", ""),
        ("assistant", "Das weiß ich nicht.", "unanswered"),
    ]
    assert payload["transcript"][1]["sources"] == [
        {"n": 1, "title": "Beiträge", "url": "https://verein.example/beitraege/", "page": None}
    ]
    (attempt,) = handoff.attempts.all()
    assert (attempt.ok, attempt.status_code, attempt.final) == (True, 200, True)

    # runs twice, effect once: a delivered ticket is not sent again
    deliver_handoff_task.apply(args=[handoff.pk])
    assert len(hook.requests) == 1 and queued == []


def test_a_wrong_secret_is_refused_at_once_and_shown(conversation, receiver, queued):
    hook = receiver(checks_signature)
    configure(delivery="webhook", webhook_url=hook.url + "/hooks/lotse")
    handoff = make_handoff(conversation, "webhook")

    with override_settings(HANDOFF_WEBHOOK_SECRET="another-secret"):
        deliver_handoff_task.apply(args=[handoff.pk])

    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed"  # a 401 is no outage: not retried
    assert "HTTP 401" in handoff.last_error and queued == []
    (attempt,) = handoff.attempts.all()
    assert (attempt.ok, attempt.status_code, attempt.final) == (False, 401, True)


def test_a_receiver_that_is_down_is_retried_then_failed_then_sent_again(
    conversation, receiver, queued, sent_later
):
    up = {"now": False}
    hook = receiver(lambda seen: checks_signature(seen) if up["now"] else (503, {"error": "down"}))
    configure(delivery="webhook", webhook_url=hook.url + "/hooks/lotse")
    handoff = make_handoff(conversation, "webhook")

    # HANDOFF_DELIVERY_RETRIES=2: the first try and two retries, each after the policy's wait
    deliver_handoff_task.apply(args=[handoff.pk])
    assert [(name, args) for name, args, _ in queued] == [(Task.DELIVER_HANDOFF, (handoff.pk, 1))]
    assert queued[0][2] >= 2.5  # TASK_RETRY: 5 s, at least half of it kept
    assert HandOff.objects.get(pk=handoff.pk).status == "requested"
    deliver_handoff_task.apply(args=[handoff.pk, 1])
    assert queued[1][:2] == (Task.DELIVER_HANDOFF, (handoff.pk, 2)) and queued[1][2] >= 5
    deliver_handoff_task.apply(args=[handoff.pk, 2])
    assert len(queued) == 2  # no third retry

    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed"
    assert "Gave up after 3 tries" in handoff.last_error and "HTTP 503" in handoff.last_error
    attempts = list(handoff.attempts.all())
    assert [(a.ok, a.status_code, a.final) for a in attempts] == [
        (False, 503, False),
        (False, 503, False),
        (False, 503, True),
    ]

    # the receiver is back; a supporter sends the ticket again from the admin
    up["now"] = True
    assert resend(handoff)
    assert sent_later == [(Task.DELIVER_HANDOFF, (handoff.pk,))]
    deliver_handoff_task.apply(args=[handoff.pk])
    handoff.refresh_from_db()
    assert (handoff.status, handoff.last_error) == ("ticket_created", "")
    assert DeliveryAttempt.objects.filter(handoff=handoff).count() == 4
    assert len(hook.requests) == 4


def test_loopback_is_refused_unless_an_operator_allows_it(conversation, receiver, queued):
    hook = receiver(checks_signature)
    configure(delivery="webhook", webhook_url=hook.url + "/hooks/lotse")
    handoff = make_handoff(conversation, "webhook")

    with override_settings(HANDOFF_ALLOWED_NETWORKS=[]):
        deliver_handoff_task.apply(args=[handoff.pk])

    assert hook.requests == []
    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed" and queued == []
    assert "network guard" in handoff.last_error and "loopback" in handoff.last_error


def test_no_secret_no_webhook(conversation, receiver, queued):
    hook = receiver(checks_signature)
    configure(delivery="webhook", webhook_url=hook.url + "/hooks/lotse")
    handoff = make_handoff(conversation, "webhook")
    with override_settings(HANDOFF_WEBHOOK_SECRET=""):
        deliver_handoff_task.apply(args=[handoff.pk])
    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed" and "HANDOFF_WEBHOOK_SECRET" in handoff.last_error
    assert hook.requests == []
