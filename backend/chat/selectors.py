"""Reads for the chat use cases."""

from __future__ import annotations

from backend.chat.models import Conversation, Message
from rag.answer.prompt import HistoryTurn


def recent_history(conversation: Conversation, turns: int) -> list[HistoryTurn]:
    """The last ``turns`` question/answer pairs of ``conversation``, oldest first."""
    if turns <= 0:
        return []
    messages = list(
        Message.objects.filter(conversation=conversation)
        .only("role", "text")
        .order_by("-created_at", "-id")[: turns * 2 + 1]
    )
    messages.reverse()
    history: list[HistoryTurn] = []
    question: str | None = None
    for message in messages:
        if message.role == Message.Role.USER:
            question = message.text
        elif question is not None:
            history.append(HistoryTurn(question=question, answer=message.text))
            question = None
    return history[-turns:]
