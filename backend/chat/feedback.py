"""Visitors' votes on answers: one per answer; voting again replaces the vote.

Replacing (rather than refusing with 409) is what a widget user expects when they change
their mind, and it keeps the counts honest: however often a visitor clicks, an answer carries
one vote from its conversation.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backend.chat.models import Feedback, Message
from backend.chat.services import ChatError

# Message ids are 64-bit database keys; a larger number is no message (and would overflow the
# database driver rather than find nothing).
MAX_MESSAGE_ID = 2**63 - 1


def record_feedback(
    message_id: int, conversation_id: uuid.UUID, rating: int, comment: str = ""
) -> tuple[Feedback, bool]:
    """Thumbs up/down on an answer; (the feedback, True if it is the answer's first vote).

    The conversation id proves the visitor took part in it (message ids are guessable,
    conversation ids are not)."""
    if rating not in (Feedback.Rating.UP, Feedback.Rating.DOWN):
        raise ChatError("invalid_rating", _("The rating must be up or down."))
    message = None
    if 0 < message_id <= MAX_MESSAGE_ID:
        message = Message.objects.filter(
            id=message_id, conversation_id=conversation_id, role=Message.Role.ASSISTANT
        ).first()
    if message is None:
        raise ChatError("unknown_message", _("This answer does not exist (any more)."), 404)
    comment = comment.strip()
    try:
        with transaction.atomic():
            given = Feedback.objects.select_for_update().filter(message=message).first()
            if given is None:
                created = Feedback.objects.create(message=message, rating=rating, comment=comment)
                return created, True
            # the widget sends the thumbs-down first and its comment after it: a vote without
            # a comment keeps the comment given with the same rating
            if comment or given.rating != rating:
                given.comment = comment
            given.rating = rating
            given.save(update_fields=["rating", "comment"])
            return given, False
    except IntegrityError:
        # two first votes at once: the other one was stored first; this one replaces it
        changes = {"rating": rating, **({"comment": comment} if comment else {})}
        Feedback.objects.filter(message=message).update(**changes)
        return Feedback.objects.get(message=message), False
