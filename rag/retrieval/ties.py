"""Ties between an editor's knowledge entry and crawled passages: the entry wins.

What an editor wrote for a question should answer it before what the site happens to say
about the same thing, but only when the entry matches the question (the relevance decision
accepted it, on its own unchanged score) and scores about as well: a clearly better crawled
passage still comes first, and an entry that does not match is never moved up (one that is
merely close in meaning would push the site's own answer down: tests/bench/bench_entries.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.models import RetrievedChunk

ENTRY = "entry"  # the payload's ``kind`` of an editor's knowledge entry

# An entry goes ahead of crawled passages scoring up to this share more than it.
ENTRY_TIE_MARGIN = 0.05


def entries_win_ties(
    hits: Sequence[RetrievedChunk], matches: Callable[[RetrievedChunk], bool]
) -> list[RetrievedChunk]:
    """The hits ranked by score with a matching entry's counted ENTRY_TIE_MARGIN higher (a
    stable sort: otherwise the given order). Without a matching entry: unchanged."""

    def favoured(hit: RetrievedChunk) -> bool:
        return hit.extra.get("kind") == ENTRY and matches(hit)

    if not any(favoured(hit) for hit in hits):
        return list(hits)
    return sorted(
        hits, key=lambda hit: hit.score * (1 + ENTRY_TIE_MARGIN if favoured(hit) else 1),
        reverse=True,
    )  # fmt: skip
