"""How the chat would answer a question, for the entry's change form: the chat's own retrieval,
relevance decision and answer (language model or extractive, as configured), nothing stored."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from backend.chat.answering import AnswerDraft, answer_from, llm_client
from backend.chat.models import Conversation
from backend.chat.retrieval import find_passages
from backend.chat.services import Turn, editor_texts_applied
from backend.knowledge.models import KnowledgeEntry
from backend.wiring import answer_config


@dataclass(frozen=True)
class Preview:
    question: str
    answer: str
    sources: list[dict]
    cites_entry: bool


def preview_answer(entry: KnowledgeEntry, question: str = "") -> Preview:
    """Ask ``question`` (default the entry's) as a visitor of the entry's sources would; the
    conversation is never saved, so the preview counts nowhere (dashboard, gaps)."""
    config = editor_texts_applied(answer_config())
    turn = Turn(
        conversation=Conversation(language=entry.language),
        question=question or entry.question,
        language=entry.language,
        history=[],
        source_ids=[str(pk) for pk in entry.sources.values_list("pk", flat=True)],
        config=config,
    )
    answer, cited_ids = asyncio.run(_answer(turn))
    return Preview(
        question=turn.question,
        answer=answer.text,
        sources=answer.sources,
        cites_entry=entry.index_id in cited_ids,
    )


async def _answer(turn: Turn) -> tuple[AnswerDraft, set[str]]:
    config = turn.config
    passages = await sync_to_async(find_passages, thread_sensitive=False)(
        turn.question, turn.source_ids, config
    )
    llm = llm_client(config.llm) if config.llm.enabled else None
    answer = AnswerDraft()
    async for _event in answer_from(turn, passages.relevant, answer, llm):
        pass
    cited = {passages.relevant[ref["n"] - 1].document_id for ref in answer.sources}
    return answer, cited
