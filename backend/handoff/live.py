"""Live chat with a supporter: presence, the visitor's side, the supporter's side.

Everything is in the database (hand-offs, their live messages, the supporters' heartbeats) or
the cache (who is typing, a few seconds), so any backend process can answer any request: the
widget and the inbox poll over plain HTTP (docs/operators.md, "Live chat").

    live: waiting -> active (a supporter takes it: first wins) -> ended
          active -> waiting (handed back by nobody: the supporter's heartbeat stopped)
          waiting | active -> ended (the supporter ends it, or hands it back to the assistant)
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.chat.models import Conversation
from backend.chat.services import ChatError
from backend.handoff.models import HandOff, HandOffSettings, LiveMessage, SupporterPresence

OPEN = (HandOff.Status.WAITING, HandOff.Status.ACTIVE)
TYPING_S = 6


def _cutoff():
    return timezone.now() - timedelta(seconds=settings.HANDOFF_ONLINE_S)


# --- presence ------------------------------------------------------------------------------


def heartbeat(user) -> None:
    """The supporter's inbox is open: online now, and their taken chats stay theirs."""
    now = timezone.now()
    SupporterPresence.objects.update_or_create(user=user, defaults={"seen_at": now})
    HandOff.objects.filter(supporter=user, status=HandOff.Status.ACTIVE).update(
        supporter_seen_at=now
    )


def supporters_online() -> int:
    return SupporterPresence.objects.filter(seen_at__gte=_cutoff()).count()


def requeue_stale() -> int:
    """Active chats whose supporter sent no heartbeat for HANDOFF_ONLINE_S go back to waiting
    (one conditional UPDATE: safe from any process, any number of times)."""
    return HandOff.objects.filter(
        kind=HandOff.Kind.LIVE, status=HandOff.Status.ACTIVE, supporter_seen_at__lt=_cutoff()
    ).update(status=HandOff.Status.WAITING, supporter=None, supporter_name="")


# --- text ----------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """A live message: stripped, at most HANDOFF_MAX_MESSAGE_CHARS, text characters only.
    Markup stays as typed; both sides show it as text."""
    value = unicodedata.normalize("NFC", str(value or "")).strip()
    if not value:
        raise ChatError("invalid_request", _("Please write a message."))
    if len(value) > settings.HANDOFF_MAX_MESSAGE_CHARS:
        raise ChatError(
            "invalid_request",
            _("At most %(limit)s characters.") % {"limit": settings.HANDOFF_MAX_MESSAGE_CHARS},
        )
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\n\t" for c in value):
        raise ChatError("invalid_request", _("This contains characters that are not text."))
    return value


def _typing_key(handoff_id: int, sender: str) -> str:
    return f"handoff:typing:{handoff_id}:{sender}"


def set_typing(handoff_id: int, sender: str) -> None:
    cache.set(_typing_key(handoff_id, sender), 1, TYPING_S)


def stop_typing(handoff_id: int, sender: str) -> None:
    cache.delete(_typing_key(handoff_id, sender))


def is_typing(handoff_id: int, sender: str) -> bool:
    return bool(cache.get(_typing_key(handoff_id, sender)))


# --- the visitor ---------------------------------------------------------------------------


def start_live(
    conversation_id,
    *,
    language: str = "",
    reason: str = "asked",
    client: str = "",
    origin: str = "",
) -> HandOff:
    """The visitor asks for live chat: a waiting hand-off of their conversation (the open one
    when there is one already; a new conversation when they had none). Refused with
    ``no_supporter`` when nobody is there now: the widget shows the contact form instead."""
    from backend.handoff.hours import supporter_available

    if not HandOffSettings.current().enabled:
        raise ChatError("handoff_unavailable", _("Contacting a person is not offered here."), 403)
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
        current = conversation.handoffs.filter(kind=HandOff.Kind.LIVE, status__in=OPEN).first()
        if current is not None:
            return current
        if not supporter_available():
            raise ChatError(
                "no_supporter", _("No supporter is available now. Please leave a message."), 409
            )
        if conversation.handoffs.count() >= settings.HANDOFF_MAX_PER_CONVERSATION:
            raise ChatError(
                "handoff_limit",
                _("This conversation has reached the number of requests it may send."),
                409,
            )
        last = conversation.messages.filter(role="user").order_by("-id").first()
        return HandOff.objects.create(
            conversation=conversation,
            kind=HandOff.Kind.LIVE,
            status=HandOff.Status.WAITING,
            reason=reason if reason in ("asked", "unanswered", "thumbs_down") else "asked",
            language=language or conversation.language or "de",
            message=last.text if last else "",
        )


def visitor_handoff(handoff_id: int, conversation_id) -> HandOff:
    """The visitor's own live hand-off: its id and its conversation's id must both match."""
    handoff = HandOff.objects.filter(
        pk=handoff_id, conversation_id=conversation_id, kind=HandOff.Kind.LIVE
    ).first()
    if handoff is None:
        raise ChatError("unknown_handoff", _("This chat does not exist (any more)."), 404)
    return handoff


def visitor_says(handoff: HandOff, text: str) -> LiveMessage:
    if handoff.status not in OPEN:
        raise ChatError("chat_ended", _("This chat has ended."), 409)
    stop_typing(handoff.pk, LiveMessage.Sender.VISITOR)
    return LiveMessage.objects.create(
        handoff=handoff, sender=LiveMessage.Sender.VISITOR, text=clean_text(text)
    )


def visitor_ends(handoff: HandOff) -> None:
    HandOff.objects.filter(pk=handoff.pk, status__in=OPEN).update(
        status=HandOff.Status.ENDED, ended_at=timezone.now(), ended_by="visitor"
    )


def _message(m: LiveMessage) -> dict:
    return {"id": m.id, "sender": m.sender, "author": m.author, "text": m.text, "at": m.at}


def visitor_state(handoff: HandOff, after: int = 0) -> dict:
    """What the widget shows: the status, who took the chat, what is new, and typing."""
    requeue_stale()
    handoff.refresh_from_db()
    messages = handoff.live_messages.filter(id__gt=after, sender=LiveMessage.Sender.SUPPORTER)
    return {
        "id": handoff.pk,
        "status": handoff.status,
        "supporter": handoff.supporter_name if handoff.status == HandOff.Status.ACTIVE else "",
        "ended_by": handoff.ended_by,
        "typing": handoff.status == HandOff.Status.ACTIVE
        and is_typing(handoff.pk, LiveMessage.Sender.SUPPORTER),
        "messages": [_message(m) for m in messages],
        "poll_s": settings.HANDOFF_POLL_S,
    }


# --- the supporter -------------------------------------------------------------------------


def display_name(user) -> str:
    return (user.first_name or user.get_username())[:150]


def take(handoff_id: int, user) -> bool:
    """Take a waiting chat over. One conditional UPDATE: of two supporters taking the same
    chat, the first wins and the second gets False. ``taken_at`` keeps the first take (a
    chat back to waiting and taken again still waited from ``created_at`` to then)."""
    now = timezone.now()
    return bool(
        HandOff.objects.filter(
            pk=handoff_id, kind=HandOff.Kind.LIVE, status=HandOff.Status.WAITING
        ).update(
            status=HandOff.Status.ACTIVE,
            supporter=user,
            supporter_name=display_name(user),
            supporter_seen_at=now,
            taken_at=Coalesce("taken_at", Value(now)),  # the first take: the waiting time
        )
    )


def _own(handoff_id: int, user) -> HandOff:
    handoff = HandOff.objects.filter(
        pk=handoff_id, kind=HandOff.Kind.LIVE, status=HandOff.Status.ACTIVE, supporter=user
    ).first()
    if handoff is None:
        raise ChatError("not_yours", _("This chat is not (any more) yours."), 409)
    return handoff


def reply(handoff_id: int, user, text: str) -> LiveMessage:
    handoff = _own(handoff_id, user)
    stop_typing(handoff.pk, LiveMessage.Sender.SUPPORTER)
    return LiveMessage.objects.create(
        handoff=handoff,
        sender=LiveMessage.Sender.SUPPORTER,
        author=handoff.supporter_name,
        text=clean_text(text),
    )


def supporter_typing(handoff_id: int, user) -> None:
    set_typing(_own(handoff_id, user).pk, LiveMessage.Sender.SUPPORTER)


def end(handoff_id: int, user, *, hand_back: bool = False) -> bool:
    """End a chat the supporter took (or a waiting one); hand_back: the assistant answers
    again (the visitor is told so)."""
    return bool(
        HandOff.objects.filter(pk=handoff_id, kind=HandOff.Kind.LIVE)
        .filter(Q(status=HandOff.Status.WAITING) | Q(status=HandOff.Status.ACTIVE, supporter=user))
        .update(
            status=HandOff.Status.ENDED,
            ended_at=timezone.now(),
            ended_by="assistant" if hand_back else "supporter",
        )
    )
