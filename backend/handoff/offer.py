"""The chat's answer when a visitor asks for a person ("Ich möchte mit einem Menschen
sprechen", "talk to a human"): no search, no model, but the offer of a person.

The chat view asks :func:`wants_person` about every question (the phrase list of
:mod:`backend.handoff.phrases`); when it says yes, the visitor gets :func:`offer_events`
instead of an answer: the offer as text, a ``handoff`` event with what the widget needs to
show the contact form or, with a supporter online, to start live chat, and ``done``. The offer is
stored as the assistant's message with no outcome, so it is in the transcript but counts
neither as answered nor as a content gap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from django.utils.translation import override

from backend.chat.answering import ChatEvent
from backend.chat.models import Message
from backend.chat.services import Turn
from backend.handoff.models import HandOffSettings
from backend.handoff.phrases import asks_for_person
from backend.handoff.services import handoff_options

OUTCOME = "handoff"


def _enabled() -> bool:
    return HandOffSettings.current().enabled


async def wants_person(question: str) -> bool:
    """The question asks for a person, and editors offer one."""
    return asks_for_person(question) and await sync_to_async(_enabled)()


def offer_text(language: str, live: bool = False) -> str:
    with override("en" if language == "en" else "de"):
        if live:
            return _("Of course. I am asking a member of our team to join this chat.")
        return _(
            "Of course. Leave us your message and how we can reach you, and a member of our "
            "team will get back to you."
        )


async def offer_events(turn: Turn) -> AsyncIterator[ChatEvent]:
    options = await sync_to_async(handoff_options)(turn.language)
    text = offer_text(turn.language, options["live"])
    yield ChatEvent("token", {"text": text})
    yield ChatEvent("handoff", {"reason": "asked", **options})
    message = await Message.objects.acreate(
        conversation=turn.conversation, role=Message.Role.ASSISTANT, text=text
    )
    yield ChatEvent(
        "done",
        {
            "message_id": message.id,
            "conversation_id": str(turn.conversation.id),
            "outcome": OUTCOME,
            "language": turn.language,
            "timings": {},
        },
    )
