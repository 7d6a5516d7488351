"""Streaming chat completions from any OpenAI-compatible endpoint (or Azure OpenAI).

Every call goes through :func:`stream_answer` or :func:`complete`, so tests point one
``base_url`` at a local fake server and exercise the real ``openai`` SDK. The SDK's own
retries are off and Lotse's policy (:mod:`rag.retry`) governs: a retry after the first token
would repeat text the visitor already has, so :func:`stream_answer` retries itself, only
before anything was yielded and only after a :class:`TransientAnswerError` (the model away,
slow, overloaded, or sending nothing usable); a refusal (bad key, unknown model) is not retried.
The retry comes at once, or after the endpoint's Retry-After when that is short enough for a
visitor to wait (``LLMConfig.max_retry_wait_s``); a longer one ends the attempt.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from rag.answer.config import LLMConfig
from rag.errors import TransientError
from rag.retry import RetryPolicy, retry_after_from_headers

logger = logging.getLogger(__name__)


class AnswerError(Exception):
    """The LLM could not give an answer. ``code`` is stable for clients; ``message`` is for
    logs and operators, never shown with secrets."""

    def __init__(self, code: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        # seconds the endpoint asked to wait (Retry-After), None when it did not say
        self.retry_after = retry_after


class TransientAnswerError(AnswerError, TransientError):
    """This try failed, the next may not: timeout, network, 408/409/429/5xx, an error event,
    an unreadable or empty stream."""


# statuses the endpoint sends when it is busy, not when the request is wrong
_TRANSIENT_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Finished:
    """Why the model stopped: "stop", or "length" when it hit the token limit mid-answer."""

    reason: str


def make_client(config: LLMConfig):
    """An async client for ``config``; imported lazily so the web app starts without it."""
    from openai import AsyncAzureOpenAI, AsyncOpenAI

    if config.azure_endpoint:
        return AsyncAzureOpenAI(
            api_key=config.api_key,
            azure_endpoint=config.azure_endpoint,
            api_version=config.azure_api_version,
            timeout=config.timeout_s,
            max_retries=0,
        )
    return AsyncOpenAI(
        api_key=config.api_key,
        base_url=config.base_url or None,
        timeout=config.timeout_s,
        max_retries=0,
    )


def _classify(exc: Exception) -> AnswerError:
    """The SDK's exceptions as ours, at this one boundary."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return TransientAnswerError(
            "llm_timeout", f"the language model did not answer in time ({exc})"
        )
    if isinstance(exc, openai.APIConnectionError):
        return TransientAnswerError("llm_unavailable", f"the language model is unreachable ({exc})")
    if isinstance(exc, openai.APIStatusError):
        message = f"the language model answered HTTP {exc.status_code}"
        if exc.status_code >= 500 or exc.status_code in _TRANSIENT_STATUSES:
            retry_after = retry_after_from_headers(exc.response.headers)
            return TransientAnswerError("llm_unavailable", message, retry_after)
        return AnswerError("llm_unavailable", message)
    return TransientAnswerError(
        "llm_bad_response", f"unusable answer from the language model ({exc!r})"
    )


def retry_policy(config: LLMConfig) -> RetryPolicy:
    """At once (no backoff of ours: a visitor is waiting), unless the endpoint asks for a
    wait up to ``max_retry_wait_s``."""
    return RetryPolicy(
        attempts=config.max_retries, base_s=0.0, cap_s=config.max_retry_wait_s, jitter=0.0
    )


async def _server_sent_data(response) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event of a streamed HTTP response, until ``[DONE]``."""
    lines: list[str] = []
    async for line in response.iter_lines():
        if line:
            if line.startswith("data:"):
                lines.append(line[5:].removeprefix(" "))
            continue  # comments, event names and ids carry nothing for chat completions
        if lines:
            data, lines = "\n".join(lines), []
            if data.startswith("[DONE]"):
                return
            yield data
    if lines and not lines[0].startswith("[DONE]"):
        yield "\n".join(lines)


def _chunk(data: str) -> dict:
    """One streamed chunk; an error event or an unreadable one raises :class:`AnswerError`."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise TransientAnswerError(
            "llm_bad_response", f"unreadable stream from the language model: {data[:80]!r}"
        ) from None
    if not isinstance(chunk, dict):
        raise TransientAnswerError("llm_bad_response", f"unexpected stream chunk: {data[:80]!r}")
    if chunk.get("error"):
        error = chunk["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise TransientAnswerError("llm_unavailable", f"the language model reported: {message}")
    return chunk


async def _stream_once(client, config: LLMConfig, messages: list[dict]) -> AsyncIterator:
    # The SDK sends the request (auth, Azure, errors by HTTP status); the stream's chunks are
    # read here as plain JSON: the SDK builds typed objects per chunk, which cost more CPU than
    # everything else in a chat turn and would hold up the other visitors' turns.
    async with client.chat.completions.with_streaming_response.create(
        model=config.model,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        temperature=config.temperature,
        max_tokens=config.max_tokens,
    ) as response:
        # leaving this block closes the HTTP response, so a visitor who left stops the
        # generation upstream too
        async for data in _server_sent_data(response):
            chunk = _chunk(data)
            usage = chunk.get("usage")
            if isinstance(usage, dict):
                yield Usage(
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                )
            for choice in chunk.get("choices") or ():
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta")
                text = delta.get("content") if isinstance(delta, dict) else None
                if text and isinstance(text, str):
                    yield TextDelta(text)
                if isinstance(choice.get("finish_reason"), str):
                    yield Finished(choice["finish_reason"])


async def stream_answer(
    client, config: LLMConfig, messages: list[dict]
) -> AsyncIterator[TextDelta | Finished | Usage]:
    """Yield the answer's text pieces, why it finished and its token usage. Raises
    :class:`AnswerError`; ``llm_empty`` when the model sent nothing but whitespace.

    Cancellation (the visitor disconnected) passes through untouched.
    """
    policy = retry_policy(config)
    retry = 0
    while True:
        started = False
        try:
            async for item in _stream_once(client, config, messages):
                if isinstance(item, TextDelta) and item.text.strip():
                    started = True
                yield item
            if not started:
                raise TransientAnswerError("llm_empty", "the language model sent an empty answer")
            return
        except Exception as exc:  # the SDK raises many kinds; all mean "no good answer"
            error = exc if isinstance(exc, AnswerError) else _classify(exc)
            retry += 1
            if (
                started
                or not isinstance(error, TransientError)
                or not policy.allows(retry)
                or policy.exceeds_cap(error.retry_after)
            ):
                logger.warning("LLM answer failed (%s): %s", error.code, error.message)
                raise error from exc
            wait = policy.delay(retry, error.retry_after)
            logger.info("LLM attempt %s failed (%s), retrying in %.1fs", retry, error.code, wait)
            if wait > 0:
                await asyncio.sleep(wait)


async def complete(client, config: LLMConfig, messages: list[dict], max_tokens: int) -> str:
    """A short non-streamed completion (query rewriting). Raises :class:`AnswerError`."""
    try:
        response = await client.chat.completions.create(
            model=config.model,
            messages=messages,
            temperature=0,
            max_tokens=max_tokens,
        )
        return (response.choices[0].message.content or "").strip()
    except Exception as exc:
        raise _classify(exc) from exc
