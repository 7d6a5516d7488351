"""Plain data passed between the stages: parse -> chunk -> embed -> store -> retrieve."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "text", "list_item", "table"]


@dataclass(frozen=True)
class Block:
    """One piece of a document in reading order. ``level`` is 1..6 for headings, else 0;
    ``page`` is the 1-based PDF page, or None for HTML; ``anchor`` is an HTML heading's
    fragment id ("" when it has none), for citations that link to the section."""

    kind: BlockKind
    text: str
    level: int = 0
    page: int | None = None
    anchor: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    url: str
    content_type: Literal["html", "pdf"]
    title: str
    language: str  # "de", "en" or "" when unsure
    blocks: tuple[Block, ...]
    parser_version: str
    page_count: int | None = None
    ocr_pages: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedDocument:
        data = dict(data)
        data["blocks"] = tuple(Block(**block) for block in data["blocks"])
        data["ocr_pages"] = tuple(data.get("ocr_pages", ()))
        data["warnings"] = tuple(data.get("warnings", ()))
        return cls(**data)


@dataclass(frozen=True)
class Chunk:
    """What gets indexed and cited. ``position`` is the chunk's index within its document."""

    url: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    language: str
    position: int
    page: int | None = None
    page_end: int | None = None

    def index_text(self) -> str:
        """Title and headings count as chunk text: a question often names the section."""
        return "\n".join([self.title, *self.heading_path, self.text])


@dataclass(frozen=True)
class SparseVector:
    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChunkVectors:
    sparse: SparseVector
    dense: tuple[float, ...] | None = None


@dataclass(frozen=True)
class RetrievedChunk:
    score: float
    document_id: str
    source_id: str
    chunk_index: int
    url: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    language: str
    page: int | None = None
    page_end: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
