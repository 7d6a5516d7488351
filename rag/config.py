"""Frozen configuration objects: the only way settings reach ``rag``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VectorStoreConfig:
    """``url`` is a Qdrant server URL, or "" for local mode under ``path`` (one process only)."""

    url: str
    path: str
    api_key: str = ""
    timeout_s: float = 5.0
    collection_prefix: str = "lotse"

    @property
    def local(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class ParsingConfig:
    """How raw pages become text. ``cache_dir`` "" turns the parse cache off."""

    cache_dir: str = ""
    ocr_enabled: bool = True
    # tesseract language packs, joined with "+" (Debian: tesseract-ocr-deu, tesseract-ocr-eng)
    ocr_languages: str = "deu+eng"
    ocr_dpi: int = 300
    # a page with fewer extractable characters than this is treated as a scanned image
    ocr_min_chars_per_page: int = 25
    # bounds the time one scanned brochure may take; pages beyond it are skipped with a warning
    ocr_max_pages: int = 50
    max_pdf_pages: int = 2000


@dataclass(frozen=True)
class ChunkingConfig:
    """Sizes in characters. German averages ~6.5 characters per token (with spaces), so the
    defaults give chunks of roughly 150-300 tokens: small enough to cite precisely, large
    enough to keep a paragraph's context."""

    max_chars: int = 1500
    # a section shorter than this is merged with its sub-sections instead of standing alone
    min_chars: int = 300


@dataclass(frozen=True)
class SparseConfig:
    """BM25-style term weights; Qdrant applies the IDF part (``Modifier.IDF``)."""

    # one stemmer for documents and queries alike, so both sides always agree on a term
    stem_language: str = "german"
    k1: float = 1.2
    b: float = 0.75
    # assumed average chunk length in terms; the real one is unknown when a chunk is indexed
    avg_doc_terms: float = 180.0
    # character n-grams let "Frist" find "Anmeldefrist" without a compound dictionary
    ngram_size: int = 5
    ngram_weight: float = 0.3
    # bump when tokenisation changes: it is part of the collection name, forcing a re-index
    version: int = 1


@dataclass(frozen=True)
class DenseConfig:
    """A dense embedding model; ``model`` "" means sparse-only retrieval."""

    model: str = ""
    dim: int = 0


@dataclass(frozen=True)
class RagConfig:
    vector_store: VectorStoreConfig
    parsing: ParsingConfig = field(default_factory=ParsingConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    sparse: SparseConfig = field(default_factory=SparseConfig)
    dense: DenseConfig = field(default_factory=DenseConfig)
