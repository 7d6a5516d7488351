"""The supporters' inbox in the admin (/admin/handoff/inbox/): waiting live chats with their
whole conversation, take over (first wins), reply, hand back to the assistant, end.

The page polls :func:`state` every few seconds; that poll is the supporter's heartbeat (online
while it comes, ``backend.handoff.live.heartbeat``). Writes are POSTs with the session's CSRF
token. Supporters and administrators only: editors configure hand-offs, they do not chat.
"""

from __future__ import annotations

import json
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.chat.services import ChatError
from backend.handoff import live
from backend.handoff.models import HandOff, LiveMessage
from backend.knowledge.selectors import entry_form_url
from backend.ops.roles import ADMINISTRATORS, SUPPORTERS


def may_chat(user) -> bool:
    """Supporters and administrators (and superusers) answer live chats."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name__in=(SUPPORTERS, ADMINISTRATORS)).exists()


def _supporters_only(view):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if not may_chat(request.user):
            return JsonResponse(
                {"code": "forbidden", "message": _("Only supporters answer live chats.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return guarded


@_supporters_only
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": _("Live chat inbox"),
        "poll_ms": int(settings.HANDOFF_POLL_S * 1000),
        "texts": {
            "visitor": _("Visitor"),
            "assistant": _("Assistant"),
            "sources": _("Sources"),
            "typing": _("The visitor is typing…"),
            "reply": _("Your reply"),
            "send": _("Send"),
            "take": _("Take over"),
            "handBack": _("Hand back to the assistant"),
            "end": _("End chat"),
            "toEntry": _("Make a knowledge entry"),
            "waiting": _("Waiting"),
            "newChat": _("A visitor is waiting for a supporter"),
            "online": _("Supporters online"),
            "nobody": _("Nobody is waiting."),
            "none": _("No chat taken over."),
        },
    }
    return render(request, "handoff/inbox.html", context)


def _sources(sources) -> list[dict]:
    return [
        {"title": str(s.get("title") or s.get("url") or ""), "url": str(s.get("url") or "")}
        for s in sources or []
        if isinstance(s, dict)
    ]


def _chat(handoff: HandOff) -> dict:
    transcript = [
        {"role": m.role, "text": m.text, "sources": _sources(m.sources)}
        for m in handoff.conversation.messages.order_by("id")
    ]
    question = handoff.message or next(
        (m["text"] for m in reversed(transcript) if m["role"] == "user"), ""
    )
    lines = []
    for m in handoff.live_messages.all():
        line = {"id": m.id, "sender": m.sender, "author": m.author, "text": m.text}
        if m.sender == LiveMessage.Sender.SUPPORTER:
            line["entry_url"] = f"{entry_form_url(question, handoff.language)}&" + urlencode(
                {"answer": m.text}
            )
        lines.append(line)
    return {
        "id": handoff.pk,
        "status": handoff.status,
        "language": handoff.language,
        "created_at": handoff.created_at,
        "supporter": handoff.supporter_name,
        "question": question,
        "transcript": transcript,
        "live": lines,
        "typing": live.is_typing(handoff.pk, LiveMessage.Sender.VISITOR),
    }


@_supporters_only
@require_GET
def state(request: HttpRequest) -> HttpResponse:
    """The heartbeat, and what the inbox shows: waiting chats and the supporter's own."""
    live.heartbeat(request.user)
    live.requeue_stale()
    waiting = HandOff.objects.filter(kind=HandOff.Kind.LIVE, status=HandOff.Status.WAITING)
    mine = HandOff.objects.filter(
        kind=HandOff.Kind.LIVE, status=HandOff.Status.ACTIVE, supporter=request.user
    )
    related = ("conversation",)
    return JsonResponse(
        {
            "waiting": [_chat(h) for h in waiting.select_related(*related).order_by("created_at")],
            "mine": [_chat(h) for h in mine.select_related(*related).order_by("taken_at")],
            "online": live.supporters_online(),
        }
    )


@_supporters_only
@require_POST
def action(request: HttpRequest, handoff_id: int, name: str) -> HttpResponse:
    """POST take | reply {text} | typing | end | hand_back."""
    try:
        if name == "take":
            if not live.take(handoff_id, request.user):
                raise ChatError("taken", _("Another supporter has taken this chat already."), 409)
        elif name == "reply":
            try:
                text = json.loads(request.body or b"{}").get("text", "")
            except (ValueError, AttributeError):
                text = ""
            live.reply(handoff_id, request.user, text)
        elif name == "typing":
            live.supporter_typing(handoff_id, request.user)
        elif name in ("end", "hand_back"):
            if not live.end(handoff_id, request.user, hand_back=name == "hand_back"):
                raise ChatError("not_yours", _("This chat is not (any more) yours."), 409)
        else:
            return JsonResponse({"code": "not_found", "message": _("Unknown action.")}, status=404)
    except ChatError as error:
        return JsonResponse({"code": error.code, "message": error.message}, status=error.status)
    return JsonResponse({"ok": True})
