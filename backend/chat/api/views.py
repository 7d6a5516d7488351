"""The public chat endpoints: plain async Django views (DRF has no async views), so a visitor
waiting for a streamed answer holds no worker thread.

They need no login, and answer browsers only from the configured website origins
(``WEBSITE_HOST``); CORS and its preflight are handled here, for these endpoints only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from backend.chat.api.body import json_object, validated
from backend.chat.api.serializers import ChatRequestSerializer, FeedbackRequestSerializer
from backend.chat.feedback import record_feedback
from backend.chat.services import (
    ChatError,
    ChatEvent,
    anonymise_client,
    answer_events,
    collect_answer,
    start_turn,
    widget_texts,
)
from backend.chat.throttle import RateLimited, check_rate_limits, count_new_conversation
from backend.handoff.offer import offer_events, wants_person
from backend.ops.clients import client_address

logger = logging.getLogger(__name__)

PREFLIGHT_MAX_AGE_S = 86400


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(request: HttpRequest) -> bool:
    """No Origin header (curl, a server) passes; a browser must come from WEBSITE_HOST or
    from Lotse's own host (a test page served by Lotse itself)."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = {_normalise(o) for o in settings.WEBSITE_HOST}
    allowed.add(_normalise(f"{request.scheme}://{request.get_host()}"))
    return _normalise(origin) in allowed


def _with_cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def error_response(request: HttpRequest, code: str, message: str, status: int, **extra):
    response = JsonResponse({"code": code, "message": message, **extra}, status=status)
    return _with_cors(request, response)


def _guard(request: HttpRequest, method: str = "POST") -> HttpResponse | None:
    """The origin check, the preflight and the method check every public endpoint shares."""
    if not origin_allowed(request):
        logger.info("chat: refused origin %s", request.headers.get("Origin"))
        refusal = JsonResponse(
            {"code": "origin_not_allowed", "message": _("This website may not use the chat.")},
            status=403,
        )
        # the widget's config GET may read the refusal (it tells nothing else), so the widget
        # says "not available here" instead of "server unreachable"; the chat stays opaque
        return _with_cors(request, refusal) if method == "GET" else refusal
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = f"{method}, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
        return _with_cors(request, response)
    if request.method != method:
        response = error_response(
            request, "method_not_allowed", _("Use %(method)s.") % {"method": method}, status=405
        )
        response["Allow"] = f"{method}, OPTIONS"
        return response
    return None


def _chat_error(request: HttpRequest, error: ChatError) -> HttpResponse:
    extra = {"errors": error.details} if error.details else {}
    return error_response(request, error.code, error.message, error.status, **extra)


def _client(request: HttpRequest) -> str:
    # REMOTE_ADDR only: uvicorn takes X-Forwarded-For from the trusted proxies alone
    return anonymise_client(client_address(request.META))


def _internal_error(request: HttpRequest) -> HttpResponse:
    return error_response(
        request, "internal_error", _("Something went wrong. Please try again later."), 500
    )


def format_sse(event: ChatEvent) -> str:
    return f"event: {event.kind}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"


async def sse_stream(events: AsyncIterator[ChatEvent]) -> AsyncIterator[str]:
    """Relay the events as SSE. The answer runs in its own task so that when the visitor
    disconnects (Django cancels us, or closes us later) it is cancelled for certain, which
    closes the LLM stream and stores the message as interrupted."""
    queue: asyncio.Queue[ChatEvent | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in events:
                await queue.put(event)
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump())
    try:
        while (event := await queue.get()) is not None:
            yield format_sse(event)
        await task  # re-raises what went wrong in the answer, for the server log
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@csrf_exempt
async def chat(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/chat/: a question in, an SSE stream (or one JSON object) out."""
    received = time.monotonic()
    refused = _guard(request)
    if refused is not None:
        return refused
    try:
        data = validated(ChatRequestSerializer, json_object(request))
        client = _client(request)
        conversation_id = data.get("conversation_id")
        await check_rate_limits(client, str(conversation_id) if conversation_id else None)
        turn = await start_turn(
            data["message"],
            conversation_id=conversation_id,
            language=data.get("language", ""),
            source_ids=data.get("sources", []),
            client=client,
            origin=request.headers.get("Origin", ""),
            received=received,
        )
        if conversation_id is None:
            await count_new_conversation(str(turn.conversation.id))
    except ChatError as error:
        return _chat_error(request, error)
    except RateLimited as limited:
        response = error_response(
            request,
            "rate_limited",
            _("Too many questions. Please wait a moment."),
            429,
            retry_after=limited.retry_after,
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    except Exception:  # a bug: a JSON error the widget can show, never an HTML page
        logger.exception("chat: request failed")
        return _internal_error(request)

    events = offer_events(turn) if await wants_person(turn.question) else answer_events(turn)
    if not data.get("stream", True):
        result = await collect_answer(events)
        status = 503 if result.get("error") else 200
        return _with_cors(request, JsonResponse(result, status=status))
    response = StreamingHttpResponse(sse_stream(events), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Traefik and nginx must pass each event on at once, not buffer the answer
    response["X-Accel-Buffering"] = "no"
    return _with_cors(request, response)


@csrf_exempt
async def feedback(request: HttpRequest, message_id: int) -> HttpResponse:
    """POST /api/v1/chat/messages/<id>/feedback/: thumbs up or down, optional comment.

    One vote per answer: the first answers 201, a later one replaces it and answers 200."""
    refused = _guard(request)
    if refused is not None:
        return refused
    try:
        data = validated(FeedbackRequestSerializer, json_object(request))
        await check_rate_limits(_client(request), None)
        given, first = await sync_to_async(record_feedback)(
            message_id, data["conversation_id"], data["rating"], data.get("comment", "")
        )
    except ChatError as error:
        return _chat_error(request, error)
    except RateLimited as limited:
        response = error_response(
            request, "rate_limited", _("Too many requests. Please wait a moment."), 429
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    except Exception:
        logger.exception("chat feedback: request failed")
        return _internal_error(request)
    body = {"id": given.id, "message_id": message_id, "rating": data["rating_name"]}
    return _with_cors(request, JsonResponse(body, status=201 if first else 200))


def widget_config(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/chat/config/?language=de: greeting and suggested questions (editable in
    the admin under Chat texts) for the widget's start screen."""
    refused = _guard(request, method="GET")
    if refused is not None:
        return refused
    body = widget_texts(request.GET.get("language", ""))
    response = JsonResponse(body)
    response["Cache-Control"] = "public, max-age=60"
    return _with_cors(request, response)


# What the other public endpoints (backend/handoff/api/views.py) share with these.
guard, with_cors, client_of, chat_error_response = _guard, _with_cors, _client, _chat_error
