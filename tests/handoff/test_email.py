"""Tickets by e-mail through Django's mail settings, to a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from tests.handoff.conftest import configure, make_handoff
from workers.names import Task
from workers.tasks.main import deliver_handoff_task

pytestmark = pytest.mark.django_db


class Collect:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=controller.port,
        DEFAULT_FROM_EMAIL="lotse@verein.example",
    ):
        yield handler
    controller.stop()


def test_the_ticket_arrives_as_an_e_mail_with_the_transcript(conversation, smtp_server, queued):
    configure(delivery="email", email_to="support@verein.example")
    handoff = make_handoff(conversation, "email")

    deliver_handoff_task.apply(args=[handoff.pk])

    handoff.refresh_from_db()
    assert handoff.status == "ticket_created"
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["support@verein.example"]
    assert envelope.mail_from == "lotse@verein.example"
    mail = email.message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Reply-To"] == "erika@example.org"
    assert mail["X-Lotse-Handoff"] == str(handoff.pk)
    body = mail.get_body(("plain",)).get_content()
    assert "Bitte rufen Sie mich an. <script>alert(1)</script>" in body
    assert "Der Jahresbeitrag beträgt 60 Euro [1]." in body
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "transcript.json"


def test_a_mail_server_that_is_down_is_retried(conversation, queued):
    configure(delivery="email", email_to="support@verein.example")
    handoff = make_handoff(conversation, "email")
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),  # nothing listens
        EMAIL_TIMEOUT=2,
    ):
        deliver_handoff_task.apply(args=[handoff.pk])
    handoff.refresh_from_db()
    assert handoff.status == "requested" and "ConnectionRefusedError" in handoff.last_error
    assert [(name, args) for name, args, _ in queued] == [(Task.DELIVER_HANDOFF, (handoff.pk, 1))]
