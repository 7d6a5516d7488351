"""Query expansion with a language model (rag/answer/expansion.py): off by default; with
"multi" or "hyde" one more completion before the answer, whose queries are searched beside
the question. Through the real openai SDK against the fake server."""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.chat import retrieval
from backend.chat.models import Message
from rag.answer.config import AnswerConfig
from rag.answer.expansion import HYDE_PROMPT, MULTI_PROMPT, parse_expansions
from rag.models import RetrievedChunk
from tests.chat.conftest import ask
from tests.fake_openai import Reply

ANSWER = Reply("Erwachsene zahlen 120 Euro im Jahr [1].")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("corpus")
def test_off_by_default_one_call_per_answer(fake_llm):
    fake_llm.default = ANSWER
    result = ask("Wie hoch ist der Jahresbeitrag?")
    assert result.of("done")[0]["outcome"] == "answered"
    assert len(fake_llm.requests) == 1
    assert "expansion_ms" not in result.of("done")[0]["timings"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize(("mode", "prompt"), [("multi", MULTI_PROMPT), ("hyde", HYDE_PROMPT)])
def test_expansion_queries_are_searched_beside_the_question(fake_llm, monkeypatch, mode, prompt):
    searched = []
    real_retrieve = retrieval.retrieve

    def recording_retrieve(query, source_ids, top_k):
        searched.append(query)
        return real_retrieve(query, source_ids, top_k)

    monkeypatch.setattr(retrieval, "retrieve", recording_retrieve)
    fake_llm.queue(Reply("1. Mitgliedsbeitrag für Erwachsene\n2. membership fee adults"), ANSWER)
    with override_settings(CHAT_QUERY_EXPANSION=mode):
        result = ask("Was kostet es im Jahr?")
    expansion, answer = fake_llm.requests
    assert expansion["messages"][0]["content"] == prompt
    assert expansion["messages"][1]["content"] == "Was kostet es im Jahr?"
    assert not expansion.get("stream") and answer["stream"] is True
    if mode == "multi":
        assert searched == [
            "Was kostet es im Jahr?", "Mitgliedsbeitrag für Erwachsene", "membership fee adults",
        ]  # fmt: skip
    else:  # the hypothetical answer is one passage to search for
        assert searched[0] == "Was kostet es im Jahr?" and len(searched) == 2
    done = result.of("done")[0]
    assert "expansion_ms" in done["timings"]
    message = Message.objects.get(id=done["message_id"])
    assert message.query == "Was kostet es im Jahr?"  # what the visitor asked is logged


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("corpus")
def test_a_failing_expansion_still_answers(fake_llm):
    fake_llm.queue(Reply(mode="http500"), Reply(mode="http500"), ANSWER)
    with override_settings(CHAT_QUERY_EXPANSION="multi"):
        result = ask("Wie hoch ist der Jahresbeitrag?")
    assert result.of("done")[0]["outcome"] == "answered"


def _chunk(
    document: str, index: int, text: str = "Der Jahresbeitrag beträgt 120 Euro."
) -> RetrievedChunk:
    return RetrievedChunk(
        score=1.0, document_id=document, source_id="1", chunk_index=index,
        url=f"https://x.example/{document}", title="", heading_path=(), text=text, language="de",
    )  # fmt: skip


def test_rankings_are_merged_and_judged_against_the_question(monkeypatch):
    rankings = {
        "Jahresbeitrag?": [_chunk("a", 0), _chunk("b", 0)],
        "Mitgliedsbeitrag": [_chunk("c", 0), _chunk("b", 0)],
    }
    monkeypatch.setattr(retrieval, "retrieve", lambda query, ids, k: rankings[query])
    passages = retrieval.find_passages(
        "Jahresbeitrag?", [], AnswerConfig(top_k=3), expansions=["Mitgliedsbeitrag"]
    )
    # "b" was found by both queries: it rises to the top
    assert [c.document_id for c in passages.ranked] == ["b", "a", "c"]
    # relevance is the visitor's question's: every passage here covers "Jahresbeitrag"
    assert all(j["matched"] == ["jahresbeitrag"] for j in passages.judgements)


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (
            "1. Beitrag Erwachsene\n- Beitrag Erwachsene\n\n2) fee",
            "multi",
            ["Beitrag Erwachsene", "fee"],
        ),
        ("was kostet es?\nA\nB\nC\nD", "multi", ["A", "B", "C"]),  # the question itself dropped
        ("  Der Beitrag\n beträgt 120 Euro. ", "hyde", ["Der Beitrag beträgt 120 Euro."]),
        ("", "hyde", []),
    ],
)
def test_parse_expansions(text, mode, expected):
    assert parse_expansions(text, "Was kostet es?", mode) == expected
