"""Zammad and Chatwoot through their REST APIs, against local stand-ins that check what the
real ones require: method, path, the auth header, the required fields (docs/operators.md names
the parts of the documented APIs these follow)."""

from __future__ import annotations

import pytest

from tests.handoff.conftest import configure, make_handoff
from tests.handoff.receivers import refuse
from workers.tasks.main import deliver_handoff_task

pytestmark = pytest.mark.django_db


def zammad_api(seen):
    """POST /api/v1/tickets, token auth, title + group + customer + first article."""
    if (seen.method, seen.path) != ("POST", "/api/v1/tickets"):
        return refuse(404, "no route")
    if seen.headers.get("authorization") != "Token token=zammad-token":
        return refuse(401, "authentication failed")
    ticket = seen.json
    article = ticket.get("article") or {}
    if not (ticket.get("title") and ticket.get("group") and article.get("body")):
        return refuse(422, "title, group and article are required")
    if not (ticket.get("customer_id", "").startswith("guess:") or ticket.get("customer")):
        return refuse(422, "customer is required")
    return 201, {"id": 17, "number": "31017", "title": ticket["title"]}


def test_zammad_gets_a_ticket_for_the_visitor_by_e_mail(conversation, receiver, queued):
    zammad = receiver(zammad_api)
    configure(delivery="zammad", zammad_url=zammad.url + "/", zammad_group="Support")
    handoff = make_handoff(conversation, "zammad")

    deliver_handoff_task.apply(args=[handoff.pk])

    handoff.refresh_from_db()
    assert (handoff.status, handoff.ticket_reference) == ("ticket_created", "#31017")
    (seen,) = zammad.requests
    ticket = seen.json
    assert ticket["group"] == "Support"
    assert ticket["customer_id"] == "guess:erika@example.org"
    assert ticket["title"].startswith("Chat: Bitte rufen Sie mich an.")
    article = ticket["article"]
    assert (article["content_type"], article["internal"]) == ("text/plain", False)
    assert "<script>alert(1)</script>" in article["body"]  # text/plain: shown, never run
    assert "Der Jahresbeitrag beträgt 60 Euro [1]." in article["body"]
    assert "https://verein.example/beitraege/" in article["body"]
    assert "+49 30 1234567" in article["body"]


def test_zammad_files_a_visitor_without_e_mail_under_the_fallback_customer(
    conversation, receiver, queued
):
    zammad = receiver(zammad_api)
    configure(
        delivery="zammad", zammad_url=zammad.url, zammad_fallback_customer="web@verein.example"
    )
    handoff = make_handoff(conversation, "zammad", email="")
    deliver_handoff_task.apply(args=[handoff.pk])
    assert zammad.requests[0].json["customer_id"] == "guess:web@verein.example"


def test_a_wrong_zammad_token_fails_at_once(conversation, receiver, queued, settings):
    zammad = receiver(zammad_api)
    configure(delivery="zammad", zammad_url=zammad.url)
    settings.ZAMMAD_TOKEN = "wrong"
    handoff = make_handoff(conversation, "zammad")
    deliver_handoff_task.apply(args=[handoff.pk])
    handoff.refresh_from_db()
    assert handoff.status == "ticket_failed" and "HTTP 401" in handoff.last_error
    assert queued == []


class ChatwootAPI:
    """The application API's contacts, conversations and messages of account 3, inbox 5."""

    def __init__(self, existing_emails=()):
        self.existing = {email: 7 for email in existing_emails}

    def __call__(self, seen):
        if seen.headers.get("api_access_token") != "chatwoot-token":
            return refuse(401, "You need to sign in or sign up before continuing.")
        base = "/api/v1/accounts/3"
        body = seen.json or {}
        route = (seen.method, seen.path)
        if route == ("POST", f"{base}/contacts"):
            if body.get("inbox_id") != 5:
                return refuse(422, "inbox_id is required")
            if body.get("email") in self.existing:
                return refuse(422, "Email has already been taken")
            return 200, {
                "payload": {
                    "contact": {"id": 41, "email": body.get("email"), "contact_inboxes": []},
                    "contact_inbox": {"inbox": {"id": 5}, "source_id": "src-41"},
                }
            }
        if seen.method == "GET" and seen.path.startswith(f"{base}/contacts/search?q="):
            return 200, {"payload": [{"id": 7, "email": "erika@example.org"}]}
        if route == ("POST", f"{base}/contacts/7/contact_inboxes"):
            return (200, {"source_id": "src-7"}) if body.get("inbox_id") == 5 else refuse(422, "")
        if route == ("POST", f"{base}/conversations"):
            if not (body.get("source_id") and body.get("inbox_id") == 5):
                return refuse(422, "source_id and inbox_id are required")
            return 200, {"id": 99, "contact_id": body.get("contact_id")}
        if route == ("POST", f"{base}/conversations/99/messages"):
            if not body.get("content") or body.get("message_type") not in ("incoming", "outgoing"):
                return refuse(422, "content and message_type are required")
            return 200, {"id": 1000, "content": body["content"]}
        return refuse(404, "no route")


def test_chatwoot_gets_contact_conversation_and_transcript(conversation, receiver, queued):
    chatwoot = receiver(ChatwootAPI())
    configure(
        delivery="chatwoot", chatwoot_url=chatwoot.url, chatwoot_account_id=3, chatwoot_inbox_id=5
    )
    handoff = make_handoff(conversation, "chatwoot")

    deliver_handoff_task.apply(args=[handoff.pk])

    handoff.refresh_from_db()
    assert (handoff.status, handoff.ticket_reference) == ("ticket_created", "conversation 99")
    contact, opened, message = (seen.json for seen in chatwoot.requests)
    assert contact == {
        "inbox_id": 5, "name": "Erika Muster", "email": "erika@example.org",
        "phone_number": "+49301234567",
    }  # fmt: skip
    assert opened == {"source_id": "src-41", "inbox_id": 5, "contact_id": 41}
    assert message["message_type"] == "incoming" and message["private"] is False
    assert "Das weiß ich nicht." in message["content"]


def test_chatwoot_finds_a_contact_that_exists(conversation, receiver, queued):
    chatwoot = receiver(ChatwootAPI(existing_emails=["erika@example.org"]))
    configure(
        delivery="chatwoot", chatwoot_url=chatwoot.url, chatwoot_account_id=3, chatwoot_inbox_id=5
    )
    handoff = make_handoff(conversation, "chatwoot")
    deliver_handoff_task.apply(args=[handoff.pk])
    handoff.refresh_from_db()
    assert handoff.status == "ticket_created"
    paths = [seen.path for seen in chatwoot.requests]
    assert paths[1] == "/api/v1/accounts/3/contacts/search?q=erika%40example.org"
    assert chatwoot.requests[3].json["source_id"] == "src-7"


def test_a_chatwoot_retry_posts_into_the_conversation_it_opened(conversation, receiver, queued):
    api = ChatwootAPI()
    broken = {"messages": 1}

    def flaky(seen):
        if seen.path.endswith("/messages") and broken["messages"]:
            broken["messages"] -= 1
            return refuse(503, "maintenance")
        return api(seen)

    chatwoot = receiver(flaky)
    configure(
        delivery="chatwoot", chatwoot_url=chatwoot.url, chatwoot_account_id=3, chatwoot_inbox_id=5
    )
    handoff = make_handoff(conversation, "chatwoot")

    deliver_handoff_task.apply(args=[handoff.pk])
    assert len(queued) == 1  # retried later
    deliver_handoff_task.apply(args=[handoff.pk, 1])

    handoff.refresh_from_db()
    assert (handoff.status, handoff.ticket_reference) == ("ticket_created", "conversation 99")
    paths = [seen.path.rsplit("/", 1)[-1] for seen in chatwoot.requests]
    assert paths == ["contacts", "conversations", "messages", "messages"]
