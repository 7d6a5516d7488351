"""Query expansion with a language model, for retrieval only (off by default).

* "multi": the model writes up to three rephrasings of the question (other words, the other
  of German and English); each is searched beside the question.
* "hyde": the model writes a short hypothetical answer as the site might phrase it; that
  passage is searched beside the question (a hypothetical document embeds closer to real
  answers than a question does).

Cost: one extra non-streamed completion before every answer (~60-150 output tokens, the
question as input; a few hundred milliseconds on a hosted model) plus one more search per
expansion. What the model writes is never shown to the visitor and never cited: the answer
still comes only from retrieved passages, and their relevance is judged against the
visitor's own question. A failing call costs nothing but the time: the question alone is
searched.
"""

from __future__ import annotations

import logging

from rag.answer.config import LLMConfig
from rag.answer.llm import AnswerError, complete
from rag.answer.prompt import neutralise_delimiters

logger = logging.getLogger(__name__)

MODES = ("off", "multi", "hyde")
MAX_EXPANSIONS = 3
MAX_EXPANSION_CHARS = 400

MULTI_PROMPT = (
    "A visitor asks a question on an organisation's website. Write up to three different "
    "search queries that mean the same: other words and synonyms, and one in the other "
    "language of German and English. One query per line, nothing else."
)
HYDE_PROMPT = (
    "A visitor asks a question on an organisation's website. Write two or three sentences as "
    "the website's own FAQ answer might say it, in the language of the question. Invent "
    "plausible details if you must; write only the answer text."
)


def parse_expansions(text: str, question: str, mode: str) -> list[str]:
    """The usable queries in a model's reply: de-numbered, de-duplicated, bounded."""
    if mode == "hyde":
        passage = " ".join(text.split())[:MAX_EXPANSION_CHARS]
        return [passage] if passage else []
    seen = {question.strip().casefold()}
    queries = []
    for line in text.splitlines():
        query = line.strip().lstrip("-*•0123456789.) ").strip().strip('"„“')
        if query and query.casefold() not in seen:
            seen.add(query.casefold())
            queries.append(query[:MAX_EXPANSION_CHARS])
    return queries[:MAX_EXPANSIONS]


async def expand_query(client, config: LLMConfig | None, question: str, mode: str) -> list[str]:
    """Extra queries to search beside ``question``; [] when off, without a model, or when
    the model fails."""
    if mode not in MODES:
        raise ValueError(f"query expansion must be one of {MODES}, not {mode!r}")
    if mode == "off" or client is None or config is None:
        return []
    messages = [
        {"role": "system", "content": MULTI_PROMPT if mode == "multi" else HYDE_PROMPT},
        {"role": "user", "content": neutralise_delimiters(question)},
    ]
    try:
        text = await complete(client, config, messages, max_tokens=150)
    except AnswerError as error:
        logger.info("query expansion failed (%s); searching the question alone", error.code)
        return []
    return parse_expansions(text, question, mode)
