"""Chat use cases: take a visitor's question, retrieve, answer (backend.chat.answering: LLM
or extractive), log it.

The API view and ``manage.py ask`` both run :func:`start_turn` and then iterate
:func:`answer_events`; only how the events reach the visitor differs (SSE, JSON, terminal).
Everything here is async so a streaming visitor holds no worker thread: the database is
reached through Django's async ORM and the (synchronous) vector search runs in a thread.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.chat.answering import (
    AnswerDraft,
    ChatEvent,
    answer_from,
    error_data,
    llm_client,
    ms_since,
)
from backend.chat.models import ChatTexts, Conversation, Message
from backend.chat.retrieval import find_passages, retrieve, retrieved_log
from backend.chat.selectors import recent_history
from backend.sources.models import Source
from backend.wiring import answer_config
from rag.answer.config import AnswerConfig
from rag.answer.expansion import expand_query
from rag.answer.prompt import HistoryTurn
from rag.answer.rewrite import rewrite_query
from rag.answer.texts import GREETING, pick
from rag.parsing.language import detect_language

logger = logging.getLogger(__name__)

LANGUAGES = ("de", "en")


class ChatError(Exception):
    """A request the chat cannot take; ``code`` is stable for clients, ``message`` readable."""

    def __init__(self, code: str, message: str, status: int = 400, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details


@dataclass
class Turn:
    """A question accepted into a conversation, ready to be answered."""

    conversation: Conversation
    question: str
    language: str
    history: list[HistoryTurn]
    source_ids: list[str]
    config: AnswerConfig
    started: float = field(default_factory=time.monotonic)


# Editors' chat texts change rarely and every turn needs them: each process keeps them for
# EDITOR_TEXTS_SECONDS. Saving or deleting them clears the copy of the process that did it at
# once (the admin's), the other processes' copies expire on their own.
EDITOR_TEXTS_SECONDS = 30.0
_editor_texts: tuple[float, list[tuple[str, str, str]]] | None = None


def warm_up() -> None:
    """Load what the first chat would otherwise wait seconds for: the SDK, the index (and in
    local mode its sparse look-up), the query encoder. For a thread at server start."""
    started = time.monotonic()
    try:
        import openai  # noqa: F401

        retrieve("Öffnungszeiten", [], 1)
    except Exception:  # a store that is not up yet: the first chat will say so, not this
        logger.warning("chat warm-up failed; the first question will be slower", exc_info=True)
        return
    # What is loaded now lives as long as the server (modules, the index, the models):
    # exclude it from garbage collection, whose full passes over it stopped every chat in
    # flight for a tenth of a second now and then.
    gc.collect()
    gc.freeze()
    logger.info("chat warm-up done in %s ms", ms_since(started))


def forget_editor_texts(**kwargs) -> None:
    global _editor_texts
    _editor_texts = None


def _current_editor_texts() -> list[tuple[str, str, str]]:
    """(language, system prompt, "I don't know" text) per language editors have set."""
    global _editor_texts
    cached, now = _editor_texts, time.monotonic()
    if cached is None or now - cached[0] > EDITOR_TEXTS_SECONDS:
        rows = list(ChatTexts.objects.values_list("language", "system_prompt", "dont_know"))
        cached = _editor_texts = (now, rows)
    return cached[1]


def editor_texts_applied(config: AnswerConfig) -> AnswerConfig:
    """The config with what editors set in the admin (Chat texts) on top of the defaults."""
    prompts, dont_know_texts = dict(config.system_prompts), dict(config.dont_know_texts)
    for language, system_prompt, dont_know_text in _current_editor_texts():
        if system_prompt.strip():
            prompts[language] = system_prompt.strip()
        if dont_know_text.strip():
            dont_know_texts[language] = dont_know_text.strip()
    return replace(config, system_prompts=prompts, dont_know_texts=dont_know_texts)


def widget_texts(language: str) -> dict:
    """Greeting and suggested questions for the widget's start screen."""
    language = language if language in LANGUAGES else "de"
    texts = ChatTexts.objects.filter(language=language).first()
    return {
        "language": language,
        "greeting": (texts.greeting.strip() if texts else "") or pick(GREETING, language),
        "suggested_questions": texts.suggested_question_list if texts else [],
    }


def anonymise_client(ip: str, day: date | None = None) -> str:
    """A salted hash of the IP address: stable for one day (throttling, counting visitors),
    not linkable across days, and not reversible without SECRET_KEY."""
    day = day or timezone.now().date()
    material = f"{settings.SECRET_KEY}|{day.isoformat()}|{ip}".encode()
    return hashlib.sha256(material).hexdigest()


def clean_message(text: object) -> str:
    """The visitor's question, or :class:`ChatError` for empty, huge or binary input.

    Markup is kept as plain text: answers are text and the widget renders them as text.
    """
    if not isinstance(text, str):
        raise ChatError("invalid_message", _("The message must be text."))
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise ChatError("empty_message", _("Please type a question."))
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ChatError(
            "message_too_long",
            _("The message is too long: at most %(limit)s characters.") % {"limit": limit},
            status=413,
        )
    control = sum(
        1
        for char in text
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and char not in "\n\t\r"
    )
    if control:
        raise ChatError("invalid_message", _("The message contains characters that are not text."))
    return text


async def start_turn(
    message: object,
    *,
    conversation_id: uuid.UUID | None = None,
    language: str = "",
    source_ids: Sequence[int] = (),
    client: str = "",
    origin: str = "",
    received: float | None = None,
) -> Turn:
    """Validate the question, find or open the conversation, store the question.

    ``received`` (time.monotonic() when the request arrived) starts the turn's timings, so
    they include validation and storage, not only the answer."""
    question = clean_message(message)
    # One hop to the database thread and one commit for the whole start of a turn: with many
    # visitors at once, every extra round trip and commit queues behind the others'.
    config, conversation, history, searched, detected = await sync_to_async(_open_turn)(
        question, conversation_id, language, source_ids, client, origin
    )
    return Turn(
        conversation=conversation,
        question=question,
        language=detected,
        history=history,
        source_ids=searched,
        config=config,
        started=received if received is not None else time.monotonic(),
    )


def _open_turn(question, conversation_id, language, source_ids, client, origin):
    """The database part of :func:`start_turn`, in one transaction."""
    config = editor_texts_applied(answer_config())
    default_language = language if language in LANGUAGES else config.default_language
    with transaction.atomic():
        if conversation_id is not None:
            conversation = Conversation.objects.filter(id=conversation_id).first()
            if conversation is None:
                raise ChatError(
                    "unknown_conversation", _("This conversation does not exist (any more)."), 404
                )
            default_language = language if language in LANGUAGES else conversation.language
            history = recent_history(conversation, config.history_turns)
            searched = [str(pk) for pk in conversation.sources.values_list("id", flat=True)]
            detected = detect_language(question, default_language or "de", short=True)
        else:
            # a new conversation: as few statements as possible, every visitor waits for them
            sources = _existing_sources(source_ids)  # checked before anything is stored
            detected = detect_language(question, default_language or "de", short=True)
            conversation = Conversation.objects.create(
                client_hash=client, origin=origin[:300], language=detected
            )
            if sources:
                conversation.sources.add(*sources)
            history = []
            searched = [str(pk) for pk in sources]
        if not conversation.language:
            conversation.language = detected
            conversation.save(update_fields=["language"])
        Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)
    # A request keeps its database connection until it ends, and a streamed answer takes as
    # long as the model: 100 visitors would hold 100 MySQL connections (the server's default
    # limit is 151) doing nothing. Give it back; storing the answer opens one again.
    if connection.vendor != "sqlite":
        connection.close()
    return config, conversation, history, searched, detected


def _existing_sources(source_ids: Sequence[int]) -> list[int]:
    """The requested sources, or :class:`ChatError` when one does not exist: searching
    everything instead would answer from sites the widget was not meant to cover."""
    wanted = set(source_ids)
    if not wanted:
        return []
    found = set(Source.objects.filter(id__in=wanted).values_list("id", flat=True))
    if wanted - found:
        raise ChatError("unknown_source", _("One of the requested sources does not exist."))
    return sorted(found)


async def _store(turn: Turn, answer: AnswerDraft, query: str, retrieved: list[dict]) -> Message:
    answer.timings["total_ms"] = ms_since(turn.started)
    return await Message.objects.acreate(
        conversation=turn.conversation,
        role=Message.Role.ASSISTANT,
        text=answer.text,
        outcome=answer.outcome,
        sources=answer.sources,
        timings=answer.timings,
        query=query,
        retrieved=retrieved,
        model=answer.model,
        error=answer.error,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
    )


async def answer_events(turn: Turn) -> AsyncIterator[ChatEvent]:
    """token* -> sources -> done, or token* -> error -> done; the answer is stored either way.

    If the consumer goes away (cancellation or close), the LLM stream is closed and the
    partial answer is stored as interrupted.
    """
    config = turn.config
    answer = AnswerDraft()
    query = turn.question
    retrieved: list[dict] = []
    llm = None
    try:
        llm = llm_client(config.llm) if config.llm.enabled else None
        query = await rewrite_query(llm, config.llm if llm else None, turn.question, turn.history)
        expansion_started = time.monotonic()
        expansions = await expand_query(llm, config.llm, query, config.query_expansion)
        if expansions:
            answer.timings["expansion_ms"] = ms_since(expansion_started)
        retrieval_started = time.monotonic()
        try:
            passages = await sync_to_async(find_passages, thread_sensitive=False)(
                turn.question, turn.source_ids, config, query=query, expansions=expansions
            )
        except Exception:
            logger.exception("chat: retrieval failed")
            passages = None
        answer.timings["retrieval_ms"] = ms_since(retrieval_started)
        if passages is None:
            answer.outcome, answer.error = Message.Outcome.ERROR, "search_unavailable"
            yield ChatEvent("error", error_data(answer.error, turn.language))
        else:
            retrieved = retrieved_log(passages.ranked, passages.judgements)
            async for event in answer_from(turn, passages.relevant, answer, llm):
                yield event
    except (asyncio.CancelledError, GeneratorExit):
        answer.outcome = Message.Outcome.INTERRUPTED
        await _store(turn, answer, query, retrieved)
        logger.info("chat: visitor left during the answer (conversation %s)", turn.conversation.id)
        raise
    except Exception:
        # a bug or a broken configuration (e.g. a malformed OPENAI_BASE_URL): the visitor
        # still gets an error event and a done, never a half-closed stream
        logger.exception("chat: answering failed")
        answer.outcome, answer.error = Message.Outcome.ERROR, "internal_error"
        yield ChatEvent("error", error_data(answer.error, turn.language))
    message = await _store(turn, answer, query, retrieved)
    yield ChatEvent(
        "done",
        {
            "message_id": message.id,
            "conversation_id": str(turn.conversation.id),
            "outcome": answer.outcome,
            "language": turn.language,
            "timings": answer.timings,
        },
    )


async def collect_answer(events: AsyncIterator[ChatEvent]) -> dict:
    """The non-streaming form of the same answer: one JSON object."""
    result: dict = {"answer": "", "sources": [], "error": None}
    async for event in events:
        if event.kind == "token":
            result["answer"] += event.data["text"]
        elif event.kind == "sources":
            result["sources"] = event.data
        elif event.kind == "error":
            result["error"] = event.data
        elif event.kind == "handoff":
            result["handoff"] = event.data
        elif event.kind == "done":
            result.update(event.data)
    return result


def delete_old_conversations(days: int | None = None, *, now=None) -> int:
    """Delete conversations started more than ``days`` (default CHAT_RETENTION_DAYS) ago,
    with their messages and feedback; 0 keeps everything. Returns how many were deleted."""
    days = settings.CHAT_RETENTION_DAYS if days is None else days
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Conversation.objects.filter(created_at__lt=cutoff)
    count = old.count()
    old.delete()
    logger.info("deleted %s conversations started before %s", count, cutoff.isoformat())
    return count
