"""The four ways a ticket goes out; the admin's Hand-off settings choose one.

Each takes the hand-off, its transcript (:mod:`backend.handoff.transcript`) and the settings
row, and returns what the other side calls the ticket (or "") with the HTTP status, or raises
:class:`~backend.handoff.outbound.DeliveryError`. Request shapes (docs/operators.md):

- webhook: ``POST <webhook URL>``, the transcript as JSON, ``X-Lotse-Signature: sha256=<hex>``
  (HMAC-SHA256 of the raw body with ``HANDOFF_WEBHOOK_SECRET``);
- Zammad: ``POST /api/v1/tickets`` with ``Authorization: Token token=<ZAMMAD_TOKEN>``; the
  customer by e-mail (``customer_id: "guess:<e-mail>"`` creates an unknown one);
- Chatwoot (application API, ``api_access_token`` header): create the contact in the inbox
  (or find it by e-mail when it exists), open a conversation, post the transcript as the
  contact's message (a retry after the conversation was opened only posts);
- e-mail: Django's mail settings, to the address in the settings, reply-to the visitor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import smtplib
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage

from backend.handoff.models import HandOff, HandOffSettings
from backend.handoff.outbound import DeliveryError, send
from backend.handoff.transcript import as_text, title

SIGNATURE_HEADER = "X-Lotse-Signature"
E164 = re.compile(r"\+[1-9]\d{5,14}")
CHATWOOT_OPENED = re.compile(r"conversation (\d+)")


def _missing(what: str) -> DeliveryError:
    return DeliveryError(f"{what} is not set", transient=False)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def webhook(handoff: HandOff, payload: dict, config: HandOffSettings) -> tuple[str, int]:
    if not config.webhook_url:
        raise _missing("The webhook URL (Hand-off settings)")
    if not settings.HANDOFF_WEBHOOK_SECRET:
        raise _missing("HANDOFF_WEBHOOK_SECRET")
    body = _json(payload)
    answer = send(
        "POST",
        config.webhook_url,
        body=body,
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(settings.HANDOFF_WEBHOOK_SECRET, body),
            "X-Lotse-Event": payload["event"],
            "X-Lotse-Handoff": str(handoff.pk),
        },
    )
    reply = answer.json()
    reference = reply.get("id") if isinstance(reply, dict) else None
    return str(reference or ""), answer.status_code


def _api(base: str, path: str) -> str:
    return base.rstrip("/") + path


def zammad(handoff: HandOff, payload: dict, config: HandOffSettings) -> tuple[str, int]:
    if not config.zammad_url:
        raise _missing("The Zammad URL (Hand-off settings)")
    if not settings.ZAMMAD_TOKEN:
        raise _missing("ZAMMAD_TOKEN")
    customer = handoff.email or config.zammad_fallback_customer
    if not customer:
        raise DeliveryError(
            "the visitor gave no e-mail and no Zammad customer for visitors without one is set",
            transient=False,
        )
    subject = title(payload)
    ticket = {
        "title": subject,
        "group": config.zammad_group or "Users",
        "customer_id": f"guess:{customer}",
        "article": {
            "subject": subject,
            "body": as_text(payload),
            "type": "web",
            "internal": False,
            "content_type": "text/plain",
        },
    }
    answer = send(
        "POST",
        _api(config.zammad_url, "/api/v1/tickets"),
        body=_json(ticket),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Token token={settings.ZAMMAD_TOKEN}",
        },
    )
    reply = answer.json()
    if not isinstance(reply, dict) or not reply.get("id"):
        raise DeliveryError("Zammad answered without a ticket id", transient=False)
    return f"#{reply.get('number') or reply['id']}", answer.status_code


def _chatwoot_contact(base: str, headers: dict, handoff: HandOff, inbox: int) -> tuple[int, str]:
    """(contact id, contact-inbox source id), creating the contact or finding it by e-mail."""
    contact = {"inbox_id": inbox, "name": handoff.name or handoff.email or handoff.phone}
    if handoff.email:
        contact["email"] = handoff.email
    phone = re.sub(r"[\s()/.-]", "", handoff.phone)
    if E164.fullmatch(phone):
        contact["phone_number"] = phone
    try:
        reply = send("POST", _api(base, "/contacts"), body=_json(contact), headers=headers).json()
    except DeliveryError as error:
        if error.status_code != 422 or not handoff.email:
            raise
        # the e-mail is taken: the contact exists; give it this inbox
        found = send(
            "GET", _api(base, f"/contacts/search?q={quote(handoff.email)}"), headers=headers
        ).json()
        matches = found.get("payload", []) if isinstance(found, dict) else []
        if not matches:
            raise
        contact_id = matches[0]["id"]
        inbox_reply = send(
            "POST",
            _api(base, f"/contacts/{contact_id}/contact_inboxes"),
            body=_json({"inbox_id": inbox}),
            headers=headers,
        ).json()
        return contact_id, str(inbox_reply.get("source_id", ""))
    created = reply.get("payload", {}) if isinstance(reply, dict) else {}
    person = created.get("contact", created)
    inboxes = [created.get("contact_inbox") or {}, *person.get("contact_inboxes", [])]
    source_id = next((str(i["source_id"]) for i in inboxes if i.get("source_id")), "")
    if not person.get("id") or not source_id:
        raise DeliveryError("Chatwoot answered without a contact or source id", transient=False)
    return person["id"], source_id


def chatwoot(handoff: HandOff, payload: dict, config: HandOffSettings) -> tuple[str, int]:
    if not (config.chatwoot_url and config.chatwoot_account_id and config.chatwoot_inbox_id):
        raise _missing("The Chatwoot URL, account id or inbox id (Hand-off settings)")
    if not settings.CHATWOOT_API_TOKEN:
        raise _missing("CHATWOOT_API_TOKEN")
    base = _api(config.chatwoot_url, f"/api/v1/accounts/{config.chatwoot_account_id}")
    headers = {"Content-Type": "application/json", "api_access_token": settings.CHATWOOT_API_TOKEN}
    inbox = config.chatwoot_inbox_id
    # a retry after the conversation was opened posts into it instead of opening another
    opened = CHATWOOT_OPENED.fullmatch(handoff.ticket_reference)
    if opened:
        conversation_id = int(opened.group(1))
    else:
        contact_id, source_id = _chatwoot_contact(base, headers, handoff, inbox)
        conversation = send(
            "POST",
            _api(base, "/conversations"),
            body=_json({"source_id": source_id, "inbox_id": inbox, "contact_id": contact_id}),
            headers=headers,
        ).json()
        if not isinstance(conversation, dict) or not conversation.get("id"):
            raise DeliveryError("Chatwoot answered without a conversation id", transient=False)
        conversation_id = int(conversation["id"])
        HandOff.objects.filter(pk=handoff.pk).update(
            ticket_reference=f"conversation {conversation_id}"
        )
    answer = send(
        "POST",
        _api(base, f"/conversations/{conversation_id}/messages"),
        body=_json({"content": as_text(payload), "message_type": "incoming", "private": False}),
        headers=headers,
    )
    return f"conversation {conversation_id}", answer.status_code


def email(handoff: HandOff, payload: dict, config: HandOffSettings) -> tuple[str, int | None]:
    if not config.email_to:
        raise _missing("The e-mail address for tickets (Hand-off settings)")
    message = EmailMessage(
        subject=title(payload),
        body=as_text(payload),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[config.email_to],
        reply_to=[handoff.email] if handoff.email else None,
        headers={"X-Lotse-Handoff": str(handoff.pk)},
    )
    message.attach("transcript.json", _json(payload), "application/json")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise DeliveryError(f"the mail server refused: {exc}", transient=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from None
    return "", None


CONNECTORS = {
    HandOffSettings.Delivery.WEBHOOK: webhook,
    HandOffSettings.Delivery.ZAMMAD: zammad,
    HandOffSettings.Delivery.CHATWOOT: chatwoot,
    HandOffSettings.Delivery.EMAIL: email,
}
