"""The public hand-off endpoints, beside the chat's and guarded like them: no login, only the
configured website origins, the chat's rate limits, JSON errors with a stable code.

A visitor is known only by the conversation id the chat gave them.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from backend.chat.api.body import json_object, validated
from backend.chat.api.views import chat_error_response, client_of, error_response, guard, with_cors
from backend.chat.services import ChatError
from backend.chat.throttle import RateLimited, check_rate_limits
from backend.handoff.api.serializers import HandOffRequestSerializer
from backend.handoff.services import handoff_options, request_ticket

logger = logging.getLogger(__name__)


@csrf_exempt
async def request_handoff(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/chat/handoff/: the contact form; 201 with the new ticket hand-off (200
    when the same request was stored before)."""
    refused = guard(request)
    if refused is not None:
        return refused
    try:
        data = validated(HandOffRequestSerializer, json_object(request))
        client = client_of(request)
        conversation_id = data.get("conversation_id")
        await check_rate_limits(client, str(conversation_id) if conversation_id else None)
        handoff, created = await sync_to_async(request_ticket)(
            data, client=client, origin=request.headers.get("Origin", "")
        )
    except ChatError as error:
        return chat_error_response(request, error)
    except RateLimited as limited:
        response = error_response(
            request,
            "rate_limited",
            _("Too many requests. Please wait a moment."),
            429,
            retry_after=limited.retry_after,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    except Exception:
        logger.exception("hand-off: request failed")
        return error_response(
            request, "internal_error", _("Something went wrong. Please try again later."), 500
        )
    body = {
        "id": handoff.pk,
        "conversation_id": str(handoff.conversation_id),
        "kind": handoff.kind,
        "status": "received",
    }
    return with_cors(request, JsonResponse(body, status=201 if created else 200))


async def options(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/chat/handoff/options/?language=de: may a person be asked for, live or by
    the form, and the consent text to show."""
    refused = guard(request, method="GET")
    if refused is not None:
        return refused
    body = await sync_to_async(handoff_options)(request.GET.get("language", ""))
    response = JsonResponse(body)
    response["Cache-Control"] = "public, max-age=10"  # live: who is online changes
    return with_cors(request, response)
