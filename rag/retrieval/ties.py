"""Ties between an editor's knowledge entry and crawled passages: the entry wins.

What an editor wrote for a question should answer it before what the site happens to say
about the same thing, but only when it really scores about as well: a clearly better crawled
passage still comes first, and whether the entry counts at all stays the relevance
decision's, on its own unchanged score."""

from __future__ import annotations

from collections.abc import Sequence

from rag.models import RetrievedChunk

ENTRY = "entry"  # the payload's ``kind`` of an editor's knowledge entry

# An entry goes ahead of crawled passages scoring up to this share more than it.
ENTRY_TIE_MARGIN = 0.05


def entries_win_ties(hits: Sequence[RetrievedChunk]) -> list[RetrievedChunk]:
    """The hits ranked by score with an entry's counted ENTRY_TIE_MARGIN higher (a stable
    sort: otherwise the search's order). Without entries among them: unchanged."""
    if not any(hit.extra.get("kind") == ENTRY for hit in hits):
        return list(hits)

    def rank(hit: RetrievedChunk) -> float:
        boost = 1 + ENTRY_TIE_MARGIN if hit.extra.get("kind") == ENTRY else 1
        return hit.score * boost

    return sorted(hits, key=rank, reverse=True)
