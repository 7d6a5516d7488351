"""Chunk by headings: a chunk never mixes two sections unless the first is too short to stand
alone (then it is merged with its own sub-sections), and a long section is split at paragraph,
then sentence, then word boundaries. A question heading (an FAQ entry, see
rag/parsing/faq.py) and its answer always stay one unit of their own: never merged into the
section above, however short."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from rag.config import ChunkingConfig
from rag.models import Block, Chunk, ParsedDocument
from rag.parsing.faq import is_question
from rag.parsing.language import detect_language
from rag.sentences import split_sentences

logger = logging.getLogger(__name__)


def split_text(text: str, max_chars: int, language: str = "de") -> list[str]:
    """Pieces of at most ``max_chars`` characters, cut at sentence (the answers' own
    splitter: never at "z. B." or "14."), then word boundaries."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text, language):
        for part in _split_words(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _split_words(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > max_chars:  # a URL or a table row without spaces
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if current and len(current) + 1 + len(word) > max_chars:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


@dataclass
class _Section:
    heading_path: tuple[str, ...]
    parts: list[tuple[str, int | None]] = field(default_factory=list)  # (text, page)
    anchor: str = ""  # the fragment id of the section's heading

    @property
    def size(self) -> int:
        return sum(len(text) + 2 for text, _ in self.parts)


def _sections(blocks: tuple[Block, ...]) -> list[_Section]:
    stack: list[tuple[int, str]] = []  # (level, heading text)
    sections = [_Section(())]
    for block in blocks:
        if block.kind == "heading":
            level = block.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, block.text))
            sections.append(_Section(tuple(text for _, text in stack), anchor=block.anchor))
            continue
        text = f"- {block.text}" if block.kind == "list_item" else block.text
        sections[-1].parts.append((text, block.page))
    return sections


def _merge_short(sections: list[_Section], min_chars: int, max_chars: int) -> list[_Section]:
    """A short section followed by its own sub-section joins it: "Fristen" with one line of
    intro reads better together with "Fristen > Anmeldung" than as a chunk of its own."""
    merged: list[_Section] = []
    for section in sections:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.parts  # a heading with no text of its own has nothing to carry over
            and previous.size < min_chars
            and section.heading_path[: len(previous.heading_path)] == previous.heading_path
            and previous.size + section.size <= max_chars
            # an FAQ answer found under its parent's intro would lose its question as heading
            and not is_question(section.heading_path[-1])
        ):
            # the sub-heading stays visible in the text, the path stays the parent's
            extra = section.heading_path[len(previous.heading_path) :]
            heading_parts = [(" / ".join(extra), None)] if extra else []
            previous.parts.extend(heading_parts + section.parts)
            continue
        merged.append(section)
    return [section for section in merged if section.parts]


def _section_chunks(
    section: _Section, max_chars: int, language: str
) -> list[tuple[str, int | None, int | None]]:
    """(text, first page, last page) pieces of one section."""
    pieces: list[tuple[str, int | None, int | None]] = []
    text = ""
    first = last = None
    for part, page in section.parts:
        for piece in split_text(part, max_chars, language):
            if text and len(text) + 2 + len(piece) > max_chars:
                pieces.append((text, first, last))
                text, first = "", None
            text = f"{text}\n\n{piece}" if text else piece
            first = first if first is not None else page
            last = page if page is not None else last
    if text:
        pieces.append((text, first, last))
    return pieces


def section_url(url: str, anchor: str) -> str:
    """``url`` pointing at the section with fragment id ``anchor`` (percent-encoded)."""
    if not anchor:
        return url
    return f"{url.split('#', 1)[0]}#{quote(anchor, safe=_FRAGMENT_SAFE)}"


_FRAGMENT_SAFE = "!$&'()*+,;=:@/?-._~"


def chunk_document(
    document: ParsedDocument, config: ChunkingConfig | None = None, *, link_sections: bool = False
) -> list[Chunk]:
    """Chunks in reading order, ``position`` 0..n-1. Each carries the document's title and
    URL, its heading path, its first and last PDF page, and its own language when that is
    clear (a German site's English summary stays "en"). ``link_sections``: a chunk's URL
    points at its section's heading (``#anchor``) when the heading has one (a wiki's)."""
    config = config or ChunkingConfig()
    chunks: list[Chunk] = []
    for section in _merge_short(_sections(document.blocks), config.min_chars, config.max_chars):
        url = section_url(document.url, section.anchor) if link_sections else document.url
        for text, first, last in _section_chunks(section, config.max_chars, document.language):
            chunks.append(
                Chunk(
                    url=url,
                    title=document.title,
                    heading_path=section.heading_path,
                    text=text,
                    language=detect_language(text, default=document.language),
                    position=len(chunks),
                    page=first,
                    page_end=last,
                )
            )
    return chunks
