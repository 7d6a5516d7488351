"""How much the dense side counts in hybrid search, per model and question language.

A model's share of the fused score was measured per language on the dev sets
(tests/bench/bench_retrieval.py): the bundled multilingual model helps German and English
paraphrases alike, while the English all-MiniLM-L6-v2 only adds noise to German questions, so
there its dense side is skipped (weight 0: lexical search alone, as without the model).
Models not listed use :attr:`rag.config.RetrievalConfig.dense_weight` for every language, and
so does every model when an operator sets that weight (``measured`` False).
"""

from __future__ import annotations

from rag.config import RetrievalConfig

MEASURED_DENSE_WEIGHTS: dict[str, dict[str, float]] = {
    "use-multilingual-v3": {"de": 0.5, "en": 0.5},
    "all-minilm-l6-v2": {"de": 0.0, "en": 0.25},
}


def dense_weight(config: RetrievalConfig, model: str, language: str) -> float:
    """The dense share for a question in ``language`` ("de", "en", "" unknown)."""
    if config.measured:
        by_language = MEASURED_DENSE_WEIGHTS.get(model.lower(), {})
        if language in by_language:
            return by_language[language]
    return config.dense_weight
