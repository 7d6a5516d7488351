"""The visitor's side of live chat: start it, poll it, write to the supporter, end it.

Guarded like the chat (website origins only, JSON errors with a stable code); a visitor is
known only by their conversation id, and reaches a hand-off only with that id and the
hand-off's own. Messages are rate-limited like questions (backend/chat/throttle.py).
"""

from __future__ import annotations

import logging
import uuid

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from backend.chat.api.body import json_object
from backend.chat.api.views import chat_error_response, client_of, error_response, guard, with_cors
from backend.chat.services import ChatError
from backend.chat.throttle import RateLimited, check_rate_limits
from backend.handoff import live

logger = logging.getLogger(__name__)


def _conversation_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise ChatError(
            "invalid_request",
            _("The request is not valid."),
            details={"conversation_id": [_("A conversation id is needed.")]},
        ) from None


def _limited(request: HttpRequest, limited: RateLimited) -> HttpResponse:
    response = error_response(
        request,
        "rate_limited",
        _("Too many requests. Please wait a moment."),
        429,
        retry_after=limited.retry_after,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


@csrf_exempt
async def start(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/chat/handoff/live/: wait for a supporter; 201 with the hand-off."""
    refused = guard(request)
    if refused is not None:
        return refused
    try:
        data = json_object(request)
        given = data.get("conversation_id")
        conversation_id = None if given is None else _conversation_id(given)
        client = client_of(request)
        await check_rate_limits(client, str(conversation_id) if conversation_id else None)
        handoff = await sync_to_async(live.start_live)(
            conversation_id,
            language=data.get("language") if data.get("language") in ("de", "en") else "",
            reason=str(data.get("reason") or "asked"),
            client=client,
            origin=request.headers.get("Origin", ""),
        )
        body = await sync_to_async(live.visitor_state)(handoff)
    except ChatError as error:
        return chat_error_response(request, error)
    except RateLimited as limited:
        return _limited(request, limited)
    body["conversation_id"] = str(handoff.conversation_id)
    return with_cors(request, JsonResponse(body, status=201))


@csrf_exempt
async def chat(request: HttpRequest, handoff_id: int) -> HttpResponse:
    """GET …/live/<id>/?conversation_id=…&after=<message id>: the state and the supporter's
    new messages. POST {conversation_id, text} | {conversation_id, typing: true} |
    {conversation_id, end: true}: write, say "typing", or leave."""
    refused = guard(request, method="GET" if request.method == "GET" else "POST")
    if refused is not None:
        return refused
    try:
        data = request.GET if request.method == "GET" else json_object(request)
        conversation_id = _conversation_id(data.get("conversation_id"))
        handoff = await sync_to_async(live.visitor_handoff)(handoff_id, conversation_id)
        status = 200
        if request.method == "POST":
            if data.get("end") is True:
                await sync_to_async(live.visitor_ends)(handoff)
            elif data.get("typing") is True:
                live.set_typing(handoff.pk, "visitor")
            else:
                await check_rate_limits(client_of(request), str(conversation_id))
                await sync_to_async(live.visitor_says)(handoff, data.get("text", ""))
                status = 201
        try:
            after = int(data.get("after") or 0)
        except (TypeError, ValueError):
            after = 0
        body = await sync_to_async(live.visitor_state)(handoff, after)
    except ChatError as error:
        return chat_error_response(request, error)
    except RateLimited as limited:
        return _limited(request, limited)
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return with_cors(request, response)
