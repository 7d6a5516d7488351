"""Hand-off use cases: a visitor's ticket request, its delivery, a re-send from the admin.

Delivery runs in a task (``workers/tasks/main.py:deliver_handoff_task``), which retries a
transient failure with the tasks' backoff and, after the last retry, calls
:func:`give_up_delivery`: the hand-off shows as failed with the error, every try stays in its
delivery log, and :func:`resend` sends it again. Nothing is lost: the ticket is a row in Lotse
before anything goes out.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from backend.chat.models import Conversation
from backend.chat.services import ChatError
from backend.handoff.connectors import CONNECTORS
from backend.handoff.hours import is_open, supporter_available
from backend.handoff.models import DeliveryAttempt, HandOff, HandOffSettings
from backend.handoff.outbound import DeliveryError
from backend.handoff.transcript import transcript
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)

PHONE = re.compile(r"\+?[0-9][0-9 ()/.-]{4,38}")
REASONS = ("asked", "unanswered", "thumbs_down")


def consent_text(config: HandOffSettings, language: str) -> str:
    custom = config.consent_text_en if language == "en" else config.consent_text_de
    if custom.strip():
        return custom.strip()
    with override("en" if language == "en" else "de"):
        return _(
            "I agree that my message, my contact details and this chat are passed on to the "
            "support team so they can answer me. They are deleted when my request is settled."
        )


def handoff_options(language: str) -> dict:
    """What the widget needs to offer a person: whether it may, live or form, the consent."""
    language = "en" if language == "en" else "de"
    config = HandOffSettings.current()
    return {
        "enabled": config.enabled,
        "open": is_open(),
        "live": config.enabled and supporter_available(),
        "consent_text": consent_text(config, language),
        "language": language,
    }


def _text(value: str, field: str, limit: int, errors: dict) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > limit:
        errors[field] = [_("At most %(limit)s characters.") % {"limit": limit}]
    elif any(
        unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\n\t\r" for c in value
    ):
        errors[field] = [_("This contains characters that are not text.")]
    return value


def clean_contact(data: dict) -> dict:
    """The form's fields checked, or :class:`ChatError` 400 naming each wrong field.

    Markup is not removed: it is stored and sent as text, and shown as text everywhere."""
    errors: dict[str, list[str]] = {}
    name = _text(data.get("name", ""), "name", 200, errors)
    email = _text(data.get("email", ""), "email", 254, errors)
    phone = _text(data.get("phone", ""), "phone", 40, errors)
    message = _text(data.get("message", ""), "message", settings.HANDOFF_MAX_MESSAGE_CHARS, errors)
    if "\n" in name or "\r" in name:
        errors["name"] = [_("The name must be one line.")]
    if email and "email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if phone and "phone" not in errors:
        digits = sum(c.isdigit() for c in phone)
        if not PHONE.fullmatch(phone) or not 5 <= digits <= 20:
            errors["phone"] = [_("Enter a valid phone number.")]
    if not email and not phone and not ({"email", "phone"} & errors.keys()):
        errors["email"] = [_("Give an e-mail address or a phone number.")]
    if not message and "message" not in errors:
        errors["message"] = [_("Please write a message.")]
    if data.get("consent") is not True:
        errors["consent"] = [_("Please agree so that we may pass on your request.")]
    if errors:
        raise ChatError("invalid_request", _("The request is not valid."), details=errors)
    return {"name": name, "email": email, "phone": phone, "message": message}


def request_ticket(data: dict, *, client: str = "", origin: str = "") -> tuple[HandOff, bool]:
    """Store the visitor's request as a ticket hand-off and send it out after the commit;
    (the hand-off, True when new). The same request sent twice is stored once."""
    config = HandOffSettings.current()
    if not config.enabled:
        raise ChatError("handoff_unavailable", _("Contacting a person is not offered here."), 403)
    contact = clean_contact(data)
    language = data.get("language") or ""
    reason = data.get("reason") if data.get("reason") in REASONS else "asked"
    conversation_id: uuid.UUID | None = data.get("conversation_id")
    with transaction.atomic():
        if conversation_id is None:
            conversation = Conversation.objects.create(
                client_hash=client, origin=origin[:300], language=language
            )
        else:
            conversation = (
                Conversation.objects.select_for_update().filter(pk=conversation_id).first()
            )
            if conversation is None:
                raise ChatError(
                    "unknown_conversation", _("This conversation does not exist (any more)."), 404
                )
            same = conversation.handoffs.filter(**contact).first()
            if same is not None:
                return same, False
            if conversation.handoffs.count() >= settings.HANDOFF_MAX_PER_CONVERSATION:
                raise ChatError(
                    "handoff_limit",
                    _("This conversation has reached the number of requests it may send."),
                    409,
                )
        language = language or conversation.language or "de"
        handoff = HandOff.objects.create(
            conversation=conversation,
            kind=HandOff.Kind.TICKET,
            reason=reason,
            language=language,
            consent_given=True,
            consent_text=consent_text(config, language),
            channel=config.delivery,
            **contact,
        )
        _send_after_commit(handoff)
    logger.info("hand-off %s: ticket requested (%s)", handoff.pk, handoff.channel)
    return handoff, True


def _send_after_commit(handoff: HandOff) -> None:
    if handoff.channel in CONNECTORS:
        enqueue_on_commit(Task.DELIVER_HANDOFF, handoff.pk)
    else:  # no delivery chosen: the ticket is kept in Lotse (the admin's hand-off list)
        HandOff.objects.filter(pk=handoff.pk).update(
            status=HandOff.Status.TICKET_CREATED, delivered_at=timezone.now()
        )


def deliver_handoff(handoff_id: int) -> bool:
    """One try at sending a requested ticket, logged as a :class:`DeliveryAttempt`.

    True when delivered, False when there was nothing to do (gone, already delivered, or
    failed and not re-sent): a second run changes nothing. Raises
    :class:`DeliveryError` when this try failed; the task decides whether to retry."""
    handoff = HandOff.objects.select_related("conversation").filter(pk=handoff_id).first()
    if handoff is None or handoff.status != HandOff.Status.REQUESTED:
        return False
    config = HandOffSettings.current()
    connector = CONNECTORS.get(handoff.channel)
    if connector is None:
        error = DeliveryError(f"unknown delivery {handoff.channel!r}", transient=False)
        DeliveryAttempt.objects.create(handoff=handoff, channel=handoff.channel, error=str(error))
        raise error
    try:
        reference, status_code = connector(handoff, transcript(handoff), config)
    except DeliveryError as error:
        DeliveryAttempt.objects.create(
            handoff=handoff,
            channel=handoff.channel,
            status_code=error.status_code,
            error=str(error)[:2000],
        )
        HandOff.objects.filter(pk=handoff.pk).update(last_error=str(error)[:2000])
        logger.warning("hand-off %s: delivery by %s failed: %s", handoff.pk, handoff.channel, error)
        raise
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            handoff=handoff, channel=handoff.channel, ok=True, status_code=status_code, final=True
        )
        HandOff.objects.filter(pk=handoff.pk, status=HandOff.Status.REQUESTED).update(
            status=HandOff.Status.TICKET_CREATED,
            ticket_reference=reference[:200],
            delivered_at=timezone.now(),
            last_error="",
        )
    logger.info("hand-off %s: delivered by %s (%s)", handoff.pk, handoff.channel, reference)
    return True


def give_up_delivery(handoff_id: int, error: str) -> None:
    """After the last try: shown as failed, with the error; the ticket stays for a re-send."""
    with transaction.atomic():
        HandOff.objects.filter(pk=handoff_id, status=HandOff.Status.REQUESTED).update(
            status=HandOff.Status.TICKET_FAILED, last_error=error[:2000]
        )
        last = DeliveryAttempt.objects.filter(handoff_id=handoff_id).order_by("-at", "-id").first()
        if last is not None and not last.ok:
            DeliveryAttempt.objects.filter(pk=last.pk).update(final=True)
    logger.error("hand-off %s: delivery failed for good: %s", handoff_id, error)


def resend(handoff: HandOff) -> bool:
    """Send a ticket again (admin action), by the delivery chosen now. False for a live
    hand-off or one whose delivery is under way."""
    if handoff.kind != HandOff.Kind.TICKET or handoff.status == HandOff.Status.REQUESTED:
        return False
    with transaction.atomic():
        changed = HandOff.objects.filter(pk=handoff.pk, status=handoff.status).update(
            status=HandOff.Status.REQUESTED,
            channel=HandOffSettings.current().delivery,
            last_error="",
        )
        if changed:
            handoff.refresh_from_db()
            _send_after_commit(handoff)
    return bool(changed)
