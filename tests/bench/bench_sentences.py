"""Sentence splitting: Lotse's rules (rag/sentences.py) against sentence-splitting libraries.

    .venv/bin/python tests/bench/bench_sentences.py [--xquad DIR]

Prints tables; never fails. Libraries that are not installed are skipped (none is a
dependency; install them into the venv to compare: pip install sentencex pysbd syntok somajo).

* Hand cases (tests/rag/sentence_cases.py): share of texts split exactly as a person would.
* XQuAD German paragraphs (240 Wikipedia paragraphs nobody tuned on): how many paragraphs
  each splitter cuts differently from Lotse's rules, and the first differences to read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rag.sentences import join_wrong_cuts, split_sentences  # noqa: E402
from tests.rag.sentence_cases import CASES  # noqa: E402

Splitter = Callable[[str, str], list[str]]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _sentencex() -> Splitter:
    from sentencex import segment

    return lambda text, lang: [
        s.strip() for line in _lines(text) for s in segment(lang, line) if s.strip()
    ]


def _pysbd() -> Splitter:
    import pysbd

    segmenters = {lang: pysbd.Segmenter(language=lang, clean=False) for lang in ("de", "en")}
    return lambda text, lang: [
        s.strip() for line in _lines(text) for s in segmenters[lang].segment(line) if s.strip()
    ]


def _syntok() -> Splitter:
    import syntok.segmenter as segmenter

    def split(text: str, lang: str) -> list[str]:
        return [
            "".join(token.spacing + token.value for token in sentence).strip()
            for line in _lines(text)
            for paragraph in segmenter.analyze(line)
            for sentence in paragraph
        ]

    return split


def _somajo() -> Splitter:
    from somajo import SoMaJo

    tokenizers = {"de": SoMaJo("de_CMC"), "en": SoMaJo("en_PTB")}

    def split(text: str, lang: str) -> list[str]:
        return [
            "".join(t.text + (" " if t.space_after else "") for t in sentence).strip()
            for sentence in tokenizers[lang].tokenize_text(_lines(text))
        ]

    return split


def with_repairs(splitter: Splitter) -> Splitter:
    """A library's pieces through Lotse's repairs (joining wrong cuts)."""
    return lambda text, lang: [
        s for line in _lines(text) for s in join_wrong_cuts(splitter(line, lang), lang)
    ]


def splitters() -> dict[str, Splitter]:
    found: dict[str, Splitter] = {"Lotse rules": split_sentences}
    for name, make in (
        ("sentencex", _sentencex),
        ("pysbd", _pysbd),
        ("syntok", _syntok),
        ("somajo", _somajo),
    ):
        try:
            library = make()
        except ImportError:
            print(f"({name} not installed: skipped)")
            continue
        found[name] = library
        found[f"{name} + repairs"] = with_repairs(library)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=REPO.parent / "shared/data/qa/xquad")
    parser.add_argument("--show", type=int, default=3, help="differences shown per splitter")
    args = parser.parse_args()
    found = splitters()
    paragraphs: list[str] = []
    path = args.xquad / "xquad.de.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        paragraphs = [p["context"] for article in data for p in article["paragraphs"]]
    reference = [split_sentences(p, "de") for p in paragraphs]

    print("\n| splitter                 | de cases | en cases | XQuAD-de differs | ms/paragraph |")
    print("|--------------------------|----------|----------|------------------|--------------|")
    examples: dict[str, list[tuple[list[str], list[str]]]] = {}
    for name, split in found.items():
        scores = {}
        for lang in ("de", "en"):
            cases = [(text, want) for case_lang, text, want in CASES if case_lang == lang]
            right = sum(split(text, lang) == want for text, want in cases)
            scores[lang] = f"{right}/{len(cases)}"
        started = time.perf_counter()
        results = [split(p, "de") for p in paragraphs]
        per_paragraph = 1000 * (time.perf_counter() - started) / max(1, len(paragraphs))
        differ = [(a, b) for a, b in zip(results, reference, strict=True) if a != b]
        examples[name] = differ[: args.show]
        print(
            f"| {name:<24} | {scores['de']:>8} | {scores['en']:>8} | "
            f"{len(differ):>7} of {len(paragraphs):<6} | {per_paragraph:>12.2f} |"
        )
    for name, differences in examples.items():
        for theirs, ours in differences:
            only_theirs = [s for s in theirs if s not in ours][:2]
            only_ours = [s for s in ours if s not in theirs][:2]
            print(f"\n{name}:\n  them: {only_theirs}\n  Lotse: {only_ours}")


if __name__ == "__main__":
    main()
