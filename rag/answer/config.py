"""Frozen configuration for answering; built from settings in one place, backend/wiring.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible chat endpoint. ``api_key`` "" means no LLM: extractive answers.

    ``base_url`` points at any OpenAI-compatible server (vLLM, Ollama, a proxy); with
    ``azure_endpoint`` set, Azure OpenAI is used and ``model`` is the deployment name.
    """

    api_key: str = ""
    base_url: str = ""
    model: str = "gpt-4o-mini"
    azure_endpoint: str = ""
    azure_api_version: str = ""
    # seconds to connect and between two streamed chunks; a slower endpoint counts as down
    timeout_s: float = 60.0
    # retries before the first token only: once text reached the visitor, a retry would
    # repeat it
    max_retries: int = 1
    # a Retry-After up to this long is waited for before that retry; a longer one (or a
    # refusal such as a bad key) ends the attempt at once, so the visitor gets quotes instead
    max_retry_wait_s: float = 5.0
    temperature: float = 0.1
    max_tokens: int = 800

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)


@dataclass(frozen=True)
class AnswerConfig:
    llm: LLMConfig = field(default_factory=LLMConfig)
    # how many chunks are retrieved and may be shown to the model
    top_k: int = 6
    # The relevance decision (rag/answer/relevance.py): a passage is relevant when its
    # confidence reaches min_confidence; none relevant means "I don't know". Lexical only:
    # the share of question words a passage covers against min_coverage. Hybrid: how far its
    # dense cosine stands above the question's background against min_stand_out (0: the
    # model's measured value), plus coverage_weight * coverage.
    min_confidence: float = 0.5
    min_coverage: float = 0.6
    # with dense vectors, a passage covering this share of the question counts on its words
    min_coverage_with_dense: float = 0.8
    min_stand_out: float = 0.0
    coverage_weight: float = 0.25
    # the dense model the index was built with (its stand-out scale)
    dense_model: str = ""
    # with an LLM: "multi" (rephrasings) or "hyde" (a hypothetical answer) are searched
    # beside the question (rag/answer/expansion.py); "off" by default: one more LLM call
    query_expansion: str = "off"
    # earlier question/answer pairs given to the model and to query rewriting
    history_turns: int = 3
    # a chunk's text is cut to this many characters in the prompt
    max_source_chars: int = 2000
    # editable system prompts by language ("de", "en"); missing ones use the defaults
    system_prompts: dict[str, str] = field(default_factory=dict)
    # per language, replaces the built-in "I don't know" text (editors set it in the admin)
    dont_know_texts: dict[str, str] = field(default_factory=dict)
    # appended to the "I don't know" answer, e.g. "info@verein.example, 030 123456"
    contact_hint: str = ""
    default_language: str = "de"
