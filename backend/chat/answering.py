"""Producing the answer of a turn from the passages found: with the language model, or
extractively (no model configured, or the model failed before its first word).

:func:`answer_from` yields the turn's ``token`` and ``sources`` events (or an ``error``) and
fills in an :class:`AnswerDraft`, which services.answer_events stores at the end. Whatever
goes wrong, the visitor never gets an empty answer: no passage, no quotable sentence or an
answer without text all become the honest "I don't know".
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.chat.models import Message
from rag.answer.citations import cited_numbers, source_refs
from rag.answer.config import LLMConfig
from rag.answer.extractive import ExtractiveAnswer, extractive_answer
from rag.answer.llm import AnswerError, Finished, TextDelta, Usage, make_client, stream_answer
from rag.answer.prompt import build_messages
from rag.answer.texts import (
    ANSWER_CUT_OFF,
    ANSWER_UNAVAILABLE,
    MODEL_FAILED_NOTE,
    SEARCH_UNAVAILABLE,
    dont_know,
    pick,
)
from rag.models import RetrievedChunk

if TYPE_CHECKING:
    from backend.chat.services import Turn

logger = logging.getLogger(__name__)

EXTRACTIVE_MODEL = "extractive"


@dataclass(frozen=True)
class ChatEvent:
    """One event of an answer: ``token``, ``sources``, ``error`` or ``done``."""

    kind: str
    data: dict | list


@dataclass
class AnswerDraft:
    """What is stored at the end, filled in while the answer is produced."""

    text: str = ""
    outcome: str = Message.Outcome.ANSWERED
    sources: list[dict] = field(default_factory=list)
    error: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict = field(default_factory=dict)


# One client per configuration and event loop, kept open: building one (its HTTP connection
# pool and TLS context) costs tens of milliseconds of CPU, which every question would pay.
# Keyed weakly by the loop: a client must never outlive (or be reused by a successor of) the
# loop its connections belong to.
_llm_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def llm_client(config: LLMConfig):
    per_loop = _llm_clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(config)
    if client is None:
        client = per_loop[config] = make_client(config)
    return client


def ms_since(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


def error_data(code: str, language: str) -> dict:
    texts = SEARCH_UNAVAILABLE if code == "search_unavailable" else ANSWER_UNAVAILABLE
    return {"code": code, "message": pick(texts, language)}


async def answer_from(
    turn: Turn, chunks: list[RetrievedChunk], answer: AnswerDraft, llm
) -> AsyncIterator[ChatEvent]:
    """The events of the answer from ``chunks`` (the relevant passages, best first)."""
    if not chunks:
        async for event in dont_know_events(turn, answer):
            yield event
    elif llm is None:
        async for event in extractive_events(turn, chunks, answer):
            yield event
    else:
        async for event in llm_events(turn, chunks, answer, llm):
            yield event


async def dont_know_events(turn: Turn, answer: AnswerDraft) -> AsyncIterator[ChatEvent]:
    answer.text = dont_know(turn.language, turn.config.contact_hint, turn.config.dont_know_texts)
    answer.outcome = Message.Outcome.UNANSWERED
    answer.timings["first_token_ms"] = ms_since(turn.started)
    yield ChatEvent("token", {"text": answer.text})
    yield ChatEvent("sources", [])


async def extractive_events(
    turn: Turn,
    chunks: list[RetrievedChunk],
    answer: AnswerDraft,
    *,
    note: str = "",
    extract: ExtractiveAnswer | None = None,
) -> AsyncIterator[ChatEvent]:
    """Quotes of the passages (``note`` first: why there is no model answer), or "I don't
    know" when none has a sentence that matches the question."""
    extract = extract or extractive_answer(turn.question, chunks, turn.language)
    if extract is None:
        async for event in dont_know_events(turn, answer):
            yield event
        return
    answer.model = EXTRACTIVE_MODEL
    answer.timings.setdefault("first_token_ms", ms_since(turn.started))
    text = f"{note}\n\n{extract.text}" if note else extract.text
    for line in text.splitlines(keepends=True):
        answer.text += line
        yield ChatEvent("token", {"text": line})
    answer.sources = [ref.to_dict() for ref in source_refs(chunks, extract.used, turn.language)]
    yield ChatEvent("sources", answer.sources)


async def llm_events(
    turn: Turn, chunks: list[RetrievedChunk], answer: AnswerDraft, llm
) -> AsyncIterator[ChatEvent]:
    """The model's streamed answer. If the model fails before its first word (down, a
    timeout, an HTTP error, an empty answer), the passages are quoted instead, with one line
    saying so (outcome ``answered_fallback``); after words were sent, an ``error`` event."""
    config = turn.config
    answer.model = config.llm.model
    messages = build_messages(
        turn.question,
        chunks,
        turn.language,
        history=turn.history,
        overrides=config.system_prompts,
        max_source_chars=config.max_source_chars,
    )
    finish_reason = ""
    try:
        async for item in stream_answer(llm, config.llm, messages):
            if isinstance(item, Usage):
                answer.prompt_tokens = item.prompt_tokens
                answer.completion_tokens = item.completion_tokens
            elif isinstance(item, Finished):
                finish_reason = item.reason
            elif isinstance(item, TextDelta):
                if not answer.text and not item.text.strip():
                    continue  # leading whitespace: nothing for the visitor to see yet
                answer.timings.setdefault("first_token_ms", ms_since(turn.started))
                answer.text += item.text
                yield ChatEvent("token", {"text": item.text})
    except AnswerError as error:
        answer.error = error.code
        if answer.text.strip():
            answer.outcome = Message.Outcome.ERROR
            yield ChatEvent("error", error_data(error.code, turn.language))
            return
        async for event in _fallback(turn, chunks, answer, error.code):
            yield event
        return
    if finish_reason == "length":
        # cut off at the token limit: say so instead of ending mid-sentence without a word
        cut = "…\n\n" + pick(ANSWER_CUT_OFF, turn.language)
        answer.text += cut
        yield ChatEvent("token", {"text": cut})
    numbers = cited_numbers(answer.text, len(chunks))
    answer.sources = [ref.to_dict() for ref in source_refs(chunks, numbers, turn.language)]
    # the model was told to cite nothing when the sources do not answer: that is its
    # "I don't know", and editors want to see those questions
    if not numbers:
        answer.outcome = Message.Outcome.UNANSWERED
    yield ChatEvent("sources", answer.sources)


async def _fallback(
    turn: Turn, chunks: list[RetrievedChunk], answer: AnswerDraft, code: str
) -> AsyncIterator[ChatEvent]:
    logger.warning("chat: the language model failed (%s); answering extractively", code)
    extract = extractive_answer(turn.question, chunks, turn.language)
    if extract is None:
        # nothing to quote either: the answer service really is unavailable right now
        answer.outcome = Message.Outcome.ERROR
        yield ChatEvent("error", error_data(code, turn.language))
        return
    note = pick(MODEL_FAILED_NOTE, turn.language)
    async for event in extractive_events(turn, chunks, answer, note=note, extract=extract):
        yield event
    answer.outcome = Message.Outcome.ANSWERED_FALLBACK
