"""A follow-up question ("and for children?") made standalone before retrieval.

With an LLM the model rewrites it from the conversation; without one (or when that call
fails) a short follow-up is searched together with the previous question, which is what
a keyword search needs to find the same topic again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from rag.answer.config import LLMConfig
from rag.answer.llm import AnswerError, complete
from rag.answer.prompt import HistoryTurn, neutralise_delimiters

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# a follow-up with at most this many words usually leans on the previous question
SHORT_FOLLOW_UP_WORDS = 6
MAX_QUERY_CHARS = 500

REWRITE_PROMPT = (
    "Rewrite the visitor's last question as one standalone search query, in the language of "
    "that question, using the conversation only to resolve references such as 'it' or 'and "
    "for children?'. Reply with the query only: no answer, no quotes, no explanation."
)


def heuristic_standalone_query(question: str, history: Sequence[HistoryTurn]) -> str:
    if not history or len(_WORD.findall(question)) > SHORT_FOLLOW_UP_WORDS:
        return question
    return f"{history[-1].question} {question}"


async def rewrite_query(
    client, config: LLMConfig | None, question: str, history: Sequence[HistoryTurn]
) -> str:
    """The query to search for: ``question`` itself when there is no history."""
    if not history:
        return question
    if client is None or config is None:
        return heuristic_standalone_query(question, history)
    conversation = "\n".join(
        f"Visitor: {neutralise_delimiters(turn.question)}\n"
        f"Assistant: {neutralise_delimiters(turn.answer[:500])}"
        for turn in history
    )
    messages = [
        {"role": "system", "content": REWRITE_PROMPT},
        {
            "role": "user",
            "content": f"Conversation:\n{conversation}\n\nLast question: "
            f"{neutralise_delimiters(question)}",
        },
    ]
    try:
        rewritten = await complete(client, config, messages, max_tokens=100)
    except AnswerError as error:
        logger.info("query rewriting failed (%s); using the heuristic", error.code)
        return heuristic_standalone_query(question, history)
    rewritten = " ".join(rewritten.split())[:MAX_QUERY_CHARS]
    return rewritten or heuristic_standalone_query(question, history)
