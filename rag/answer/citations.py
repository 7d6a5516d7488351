"""Numbered citations in an answer ([1], [2][3], [1, 2]) and the sources they point to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rag.answer.texts import EDITORIAL, pick
from rag.models import RetrievedChunk
from rag.retrieval.ties import ENTRY

_CITATION = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SourceRef:
    """One cited source as the visitor sees it; ``n`` is the number used in the answer."""

    n: int
    title: str
    url: str
    page: int | None
    snippet: str
    score: float
    # the passage's headings as a breadcrumb ("Mitgliedschaft › Beiträge"), "" when none
    section: str = ""
    # "page" (crawled) or "entry" (written by an editor: no URL unless it has a "read more")
    kind: str = "page"

    def to_dict(self) -> dict:
        return asdict(self)


def cited_numbers(text: str, available: int) -> list[int]:
    """The source numbers ``text`` cites, in order of first mention; invented ones dropped."""
    found: list[int] = []
    for match in _CITATION.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if 1 <= n <= available and n not in found:
                found.append(n)
    return found


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The passage's start, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


BREADCRUMB = " › "


def breadcrumb(title: str, heading_path: Sequence[str]) -> str:
    """The headings above a passage, without the ones that only repeat the title."""
    path = [" ".join(h.split()) for h in heading_path if h.strip()]
    while path and path[0].casefold() == " ".join(title.split()).casefold():
        path.pop(0)
    return BREADCRUMB.join(path)


def editorial_label(date: str, language: str) -> str:
    """How an entry without a link is cited: "Redaktion, 1.12.2026" / "Editorial team,
    2026-12-01". ``date`` is ISO (YYYY-MM-DD)."""
    label = pick(EDITORIAL, language)
    if len(date) != 10:
        return label
    year, month, day = date.split("-")
    shown = f"{int(day)}.{int(month)}.{year}" if language == "de" else date
    return f"{label}, {shown}"


def source_refs(
    chunks: Sequence[RetrievedChunk], numbers: Sequence[int], language: str = "de"
) -> list[SourceRef]:
    """The cited chunks (1-based ``numbers`` into ``chunks``), numbered as in the answer.
    An editor's entry is cited by its "read more" link, or as the editorial team with the
    entry's date (in ``language``); its headings are other phrasings, never a breadcrumb."""
    refs = []
    for n in numbers:
        chunk = chunks[n - 1]
        if chunk.extra.get("kind") == ENTRY:
            title = chunk.title if chunk.url else ""
            title = title or editorial_label(str(chunk.extra.get("entry_date", "")), language)
            kind, section = ENTRY, ""
        else:
            title = chunk.title or chunk.url
            kind, section = "page", breadcrumb(chunk.title, chunk.heading_path)
        refs.append(
            SourceRef(
                n=n,
                title=title,
                url=chunk.url,
                page=chunk.page,
                snippet=snippet(chunk.text),
                score=round(chunk.score, 4),
                section=section,
                kind=kind,
            )
        )
    return refs
