"""How much the dense side counts in hybrid search, per model and question language.

A model's share of the fused score was measured per language on the dev sets and XQuAD
(tests/bench/bench_retrieval.py). The bundled multilingual model carries German paraphrases
(German FAQ passage recall@5: 0.57 lexical, 0.86 at 0.25, 0.88 at 0.4, 0.91 at 0.5) while
XQuAD's lexical German questions peak at 0.3-0.35 (R@5 0.982 lexical, 0.989 at 0.3, 0.988 at
0.35, 0.984 at 0.5): 0.35 for German. English XQuAD questions lose R@1 above 0.25 (0.929 at
0.25, 0.921 at 0.35, 0.908 at 0.5), and an English question on a German page has no lexical
side anyway, so its ranking is the dense one at any weight: 0.25 for English. The English
all-MiniLM-L6-v2 gives German questions little: recall@5 on the German FAQ paraphrases 0.81
lexical, 0.85 at 0.1 and at 0.25; at 0.1 its noise weighs least on German pages. Weight 0
would skip the dense side for a language (lexical search alone, the query not embedded).
Models not listed use :attr:`rag.config.RetrievalConfig.dense_weight` for every language, and
so does every model when an operator sets that weight (``measured`` False).
"""

from __future__ import annotations

from rag.config import RetrievalConfig

MEASURED_DENSE_WEIGHTS: dict[str, dict[str, float]] = {
    "use-multilingual-v3": {"de": 0.35, "en": 0.25},
    "all-minilm-l6-v2": {"de": 0.1, "en": 0.25},
}


def dense_weight(config: RetrievalConfig, model: str, language: str) -> float:
    """The dense share for a question in ``language`` ("de", "en", "" unknown)."""
    if config.measured:
        by_language = MEASURED_DENSE_WEIGHTS.get(model.lower(), {})
        if language in by_language:
            return by_language[language]
    return config.dense_weight
