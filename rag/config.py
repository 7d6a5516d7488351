"""Frozen configuration objects: the only way settings reach ``rag``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


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
    # what one part of a DOCX or ODT may unpack to (a zip bomb fails past it)
    max_unpacked_bytes: int = 100 * 2**20


@dataclass(frozen=True)
class ChunkingConfig:
    """Sizes in characters. German runs ~3-4 characters per token in OpenAI-style tokenisers,
    so the defaults give chunks of roughly 100-450 tokens: small enough to cite precisely,
    large enough to keep a paragraph's context."""

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
    # query side only: leave question words ("welche", "gibt es", "how") out of the query.
    # Off: measured, it cost XQuAD de R@5 0.984 -> 0.982 and gave the German FAQ paraphrases
    # no recall@5 (tests/bench/bench_retrieval.py, its ablation row)
    drop_question_words: bool = False
    # bump when tokenisation changes: it is part of the collection name, forcing a re-index
    version: int = 1


@dataclass(frozen=True)
class DenseConfig:
    """A dense embedding model; ``model`` "" means sparse-only retrieval.

    ``provider`` picks the implementation: "openai" (OpenAI or any server speaking its
    ``/v1/embeddings`` API, chosen by ``base_url``), "azure" (Azure OpenAI: ``azure_endpoint``,
    ``azure_api_version``, ``azure_deployment``), "local" (a sentence-transformers style model
    directory ``model_dir``: BERT in numpy, or any ``model.onnx`` through onnxruntime,
    XLM-RoBERTa families included; needs the ``local-embeddings`` extra) or "bundled" (the
    multilingual model shipped with Lotse, rag/embeddings/bundled.py: the embedded default).
    ``model`` and ``dim`` name the collection, so they must describe what is really served.
    """

    model: str = ""
    dim: int = 0
    provider: Literal["openai", "azure", "local", "bundled"] = "openai"
    api_key: str = field(default="", repr=False)  # never in a log line
    base_url: str = ""  # "" = the SDK's default (api.openai.com)
    azure_endpoint: str = ""
    azure_api_version: str = ""
    azure_deployment: str = ""
    model_dir: str = ""
    # BLAS threads of the local or bundled model per process; 0 = one per core
    local_threads: int = 1
    # prepended to every query / passage before embedding, as some models were trained
    # (multilingual-e5: "query: " and "passage: "); read from the model folder when empty
    query_prefix: str = ""
    passage_prefix: str = ""
    # OpenAI accepts up to 2048 inputs per request; smaller batches keep one retry cheap
    batch_size: int = 64
    timeout_s: float = 30.0
    # retries of one batch after a 429, 5xx or connection error; then EmbeddingUnavailable
    max_retries: int = 5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0


@dataclass(frozen=True)
class RetrievalConfig:
    """How dense and sparse rankings are fused when both exist (rag/retrieval/fusion.py).

    "convex": fused score = ``dense_weight`` * dense / best dense + (1 - ``dense_weight``) *
    sparse / best sparse, over the query's candidates; it lies in [0, 1]. "rrf": weighted
    reciprocal rank fusion with ``rrf_k``. ``candidates`` hits (at least ``k``) come from each
    side. Defaults measured on XQuAD de/en with all-MiniLM-L6-v2 (tests/bench/
    bench_retrieval.py): plain RRF fell well below sparse alone (German recall@1 0.71 against
    0.91); convex with dense_weight 0.1-0.3 beat the better single retriever at every k in
    both languages. A stronger (multilingual) dense model deserves a higher weight."""

    fusion: Literal["convex", "rrf"] = "convex"
    dense_weight: float = 0.25
    # True: a model measured per language uses its own weights (rag/retrieval/weights.py);
    # False (an operator set the weight): dense_weight for every model and language
    measured: bool = True
    candidates: int = 50
    rrf_k: int = 60


@dataclass(frozen=True)
class RagConfig:
    vector_store: VectorStoreConfig
    parsing: ParsingConfig = field(default_factory=ParsingConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    sparse: SparseConfig = field(default_factory=SparseConfig)
    dense: DenseConfig = field(default_factory=DenseConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
