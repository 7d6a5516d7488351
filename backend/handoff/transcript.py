"""What a ticket carries: the visitor's contact and message and the whole conversation, with
the assistant's answers and the sources they cited. One JSON shape for every delivery (the
webhook sends it as it is; Zammad, Chatwoot and e-mail get :func:`as_text` of it)."""

from __future__ import annotations

from backend.chat.models import Message
from backend.handoff.models import HandOff

# A conversation longer than this sends its latest messages (the widget keeps 40).
MAX_MESSAGES = 200
EVENT = "handoff.ticket"


def _source(source: dict) -> dict:
    return {key: source.get(key) for key in ("n", "title", "url", "page") if key in source}


def transcript(handoff: HandOff) -> dict:
    """The ticket as JSON (docs/operators.md documents the shape)."""
    conversation = handoff.conversation
    messages = list(
        Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[
            :MAX_MESSAGES
        ]
    )
    messages.reverse()
    return {
        "event": EVENT,
        "handoff_id": handoff.pk,
        "conversation_id": str(conversation.pk),
        "created_at": handoff.created_at.isoformat(),
        "language": handoff.language or conversation.language,
        "reason": handoff.reason,
        "origin": conversation.origin,
        "contact": {"name": handoff.name, "email": handoff.email, "phone": handoff.phone},
        "message": handoff.message,
        "consent": {"given": handoff.consent_given, "text": handoff.consent_text},
        "transcript": [
            {
                "role": message.role,
                "text": message.text,
                "at": message.created_at.isoformat(),
                "outcome": message.outcome,
                "sources": [_source(s) for s in message.sources if isinstance(s, dict)],
            }
            for message in messages
        ],
    }


def title(payload: dict) -> str:
    first_line = payload["message"].strip().splitlines()[0] if payload["message"].strip() else ""
    return f"Chat: {first_line[:80]}" if first_line else f"Chat #{payload['handoff_id']}"


def as_text(payload: dict) -> str:
    """The ticket as plain text (never HTML: whatever the visitor typed stays text)."""
    contact = payload["contact"]
    lines = [
        payload["message"],
        "",
        "-- ",
        f"Name: {contact['name'] or '-'}",
        f"E-Mail: {contact['email'] or '-'}",
        f"Telefon / Phone: {contact['phone'] or '-'}",
        f"Einwilligung / Consent: {payload['consent']['text']}",
        f"Gespräch / Conversation: {payload['conversation_id']} ({payload['origin'] or '-'})",
        "",
        "== Chatverlauf / Transcript ==",
    ]
    for turn in payload["transcript"]:
        who = "Besucher/Visitor" if turn["role"] == "user" else "Lotse"
        lines += ["", f"[{turn['at'][:19]}] {who}:", turn["text"]]
        for source in turn["sources"]:
            page = f" (S./p. {source['page']})" if source.get("page") else ""
            lines.append(
                f"  [{source.get('n', '')}] {source.get('title') or ''} {source.get('url') or ''}{page}"
            )
    return "\n".join(lines)
