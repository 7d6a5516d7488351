"""How much the dense side counts in hybrid search, per model and question language.

A model's share of the fused score was measured per language on the dev sets
(tests/bench/bench_retrieval.py). The bundled multilingual model carries German and English
paraphrases (German FAQ passage recall@5 0.57 lexical, 0.86 at 0.25, 0.89 at 0.5, 0.95 at 0.6)
while XQuAD's lexical questions start to lose above 0.5: 0.5. The English all-MiniLM-L6-v2
gives German questions little: recall@5 on the German FAQ paraphrases 0.81 lexical, 0.85 at
0.1 and at 0.25; at 0.1 its noise weighs least on German pages. Weight 0 would skip the dense
side for a language (lexical search alone, the query not even embedded).
Models not listed use :attr:`rag.config.RetrievalConfig.dense_weight` for every language, and
so does every model when an operator sets that weight (``measured`` False).
"""

from __future__ import annotations

from rag.config import RetrievalConfig

MEASURED_DENSE_WEIGHTS: dict[str, dict[str, float]] = {
    "use-multilingual-v3": {"de": 0.5, "en": 0.5},
    "all-minilm-l6-v2": {"de": 0.1, "en": 0.25},
}


def dense_weight(config: RetrievalConfig, model: str, language: str) -> float:
    """The dense share for a question in ``language`` ("de", "en", "" unknown)."""
    if config.measured:
        by_language = MEASURED_DENSE_WEIGHTS.get(model.lower(), {})
        if language in by_language:
            return by_language[language]
    return config.dense_weight
