"""The chat's ranking: an editor's entry that matches the question wins a near-tie against a
crawled passage, one that does not match is never moved up (backend.chat.retrieval)."""

from __future__ import annotations

from backend.chat.retrieval import judge_passages
from backend.wiring import answer_config
from rag.models import RetrievedChunk

QUESTION = "Wo kann man beim Verein parken?"


def chunk(name: str, score: float, text: str, *, entry: bool = False) -> RetrievedChunk:
    return RetrievedChunk(
        score=score, document_id=name, source_id="1", chunk_index=0,
        url="" if entry else f"https://v.example/{name}/", title=name, heading_path=(),
        text=text, language="de", extra={"kind": "entry"} if entry else {},
    )  # fmt: skip


def test_a_matching_entry_wins_a_near_tie_and_the_answer_uses_it_first():
    page = chunk("page", 1.02, "Parken beim Verein: hinter der Halle gibt es Plätze.")
    entry = chunk("entry", 1.0, "Parken beim Verein: kostenlos hinter der Sporthalle.", entry=True)
    passages = judge_passages(QUESTION, [page, entry], answer_config())
    assert [c.document_id for c in passages.ranked] == ["entry", "page"]
    assert [c.document_id for c in passages.relevant] == ["entry", "page"]
    assert passages.judgements[0]["score"] == 1.0  # its own score, unchanged


def test_an_entry_that_does_not_match_stays_where_the_search_put_it():
    page = chunk("page", 1.02, "Parken beim Verein: hinter der Halle gibt es Plätze.")
    entry = chunk("entry", 1.0, "Das Büro ist dienstags besetzt.", entry=True)
    passages = judge_passages(QUESTION, [page, entry], answer_config())
    assert [c.document_id for c in passages.ranked] == ["page", "entry"]
    assert [c.document_id for c in passages.relevant] == ["page"]
