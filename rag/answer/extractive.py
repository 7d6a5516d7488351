"""An answer without a language model: the sentences of the passages that answer, cited.

It never invents anything, so it is the honest answer when no model is configured (or the
model is down). For each passage the sentence that shares the most (and the rarest) words
with the question is found, with the neighbours that belong to it: the list after a colon,
the sentence a "Sie"/"This" refers to, the next sentence when it matches too. The best
passage is quoted first; another one only when it scores close to it or covers a question
word the first did not, and a second quote of the same page only in that last case.
Sentences come from rag.sentences, the chunker's splitter, so a quote never ends at "Dr.".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer import texts
from rag.models import RetrievedChunk
from rag.parsing.language import detect_language
from rag.sentences import split_sentences

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# words that carry no meaning for matching; short words are ignored anyway
_IGNORED = frozenset(
    """
    der die das den dem des ein eine ist sind war wie was wer und für mit von bei aus auf
    zum zur ich wir sie ihr man the and for are was how who can you our its has not
    aber alle auch dass dein deine diese dieser dieses eine einem einen einer eines haben
    habe kann können muss müssen nicht noch oder sein sind über unter welche welcher welches
    wann warum wieviel werden wird about does have what when where which will with would
    your there their this that from could should gibt gerade aktuell bitte etwas mehr
    """.split()
)
_PREFIX = 5
# a sentence starting with one of these leans on the one before it
_REFERRING = frozenset(
    """
    sie er es dies diese dieser dieses das dort damit dazu deshalb daher hier dabei
    they it this these there he she its those such
    """.split()
)
# a citation-like "[12]" in crawled text would turn into a link to a source in the widget
_BRACKETED_NUMBER = re.compile(r"\s*\[\d{1,3}\]")
MAX_QUOTES = 3
MAX_QUOTE_CHARS = 450
# a sentence longer than this (a flattened table, a run-on list) is cut around the match
MAX_SENTENCE_CHARS = 350
# another passage is quoted when it scores at least this share of the best one
CLOSE_SCORE = 0.8
MIN_SCORE = 0.6
# a second, not neighbouring sentence of a passage is quoted when it scores this share of the
# best one and covers a question word the first did not
SECOND_SENTENCE = 0.75


@dataclass(frozen=True)
class ExtractiveAnswer:
    text: str
    # 1-based numbers of the passages quoted, as cited in ``text``
    used: tuple[int, ...]


@dataclass
class _Quote:
    n: int
    chunk: RetrievedChunk
    score: float
    terms: frozenset[str]
    text: str


def question_terms(text: str) -> set[str]:
    """The words of ``text`` that carry meaning, lower-cased."""
    words = (word.lower() for word in _WORD.findall(text))
    return {word for word in words if len(word) > 2 and word not in _IGNORED}


def _matched(terms: set[str], sentence: str) -> set[str]:
    """The question terms ``sentence`` contains: whole word, common word start or (German
    compounds: "Beitrag" in "Jahresbeitrag") inside a longer word."""
    words = question_terms(sentence)
    prefixes = {word[:_PREFIX] for word in words if len(word) >= _PREFIX}
    found = set()
    for term in terms:
        if term in words:
            found.add(term)
        elif len(term) >= _PREFIX and (
            term[:_PREFIX] in prefixes or any(term in word for word in words)
        ):
            found.add(term)
    return found


def _quotable(sentence: str) -> bool:
    """Words a visitor can read, not a row of numbers or a lone heading."""
    return sum(1 for word in _WORD.findall(sentence) if not word.isdigit() and len(word) > 1) >= 3


def _trimmed(sentence: str, terms: set[str]) -> str:
    """A long sentence cut to the part around its first matching word, marked with "…"."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    lowered = sentence.lower()
    hits = [lowered.find(term[:_PREFIX]) for term in terms]
    first = min((hit for hit in hits if hit >= 0), default=0)
    start = max(0, first - MAX_SENTENCE_CHARS // 3)
    if start:
        start = sentence.find(" ", start) + 1
    end = sentence.rfind(" ", 0, start + MAX_SENTENCE_CHARS)
    if end <= start:
        end = start + MAX_SENTENCE_CHARS
    words = sentence[start:end].split(" ")
    # never end on an abbreviation ("… Dr. …")
    while len(words) > 1 and words[-1].endswith(".") and len(words[-1]) <= 5:
        words.pop()
    return ("… " if start else "") + " ".join(words) + " …"


def _weights(terms: set[str], matches: Sequence[set[str]]) -> dict[str, float]:
    """Rarer question words count more: a word in every sentence tells nothing apart."""
    count = max(1, len(matches))
    document_frequency = dict.fromkeys(terms, 0)
    for found in matches:
        for term in found:
            document_frequency[term] += 1
    return {
        term: 1.0 + math.log(count / (1 + frequency)) if frequency < count else 0.5
        for term, frequency in document_frequency.items()
    }


def _window(sentences: list[str], best: int, scores: list[float]) -> tuple[int, int]:
    """(first, last) index of the best sentence with the neighbours that belong to it."""
    start = end = best
    size = len(sentences[best])
    first_word = (_WORD.findall(sentences[best])[:1] or [""])[0].lower()
    if first_word in _REFERRING and best > 0 and _quotable(sentences[best - 1]):
        start -= 1
        size += len(sentences[start])
    while end + 1 < len(sentences) and size < MAX_QUOTE_CHARS:
        following = sentences[end + 1]
        introduces = sentences[end].endswith(":") or (
            following.startswith("- ") and sentences[start].endswith(":")
        )
        # a list item belongs to the sentence introducing the list, not to the item above it
        matches_too = scores[end + 1] > 0 and not following.startswith("- ")
        if not (introduces or matches_too) or size + len(following) > MAX_QUOTE_CHARS:
            break
        end += 1
        size += len(following)
    return start, end


def _joined(sentences: list[str]) -> str:
    parts = []
    for sentence in sentences:
        if sentence.startswith("- "):
            sentence = sentence[2:]
            if parts and not parts[-1].endswith((":", ";", ".", "!", "?")):
                parts[-1] += ";"
        parts.append(sentence)
    return _BRACKETED_NUMBER.sub("", " ".join(parts)).strip()


def _best_quote(
    n: int,
    chunk: RetrievedChunk,
    sentences: list[str],
    matches: list[set[str]],
    terms: set[str],
    weights: dict[str, float],
) -> _Quote | None:
    scores = [
        sum(weights[t] for t in found) if _quotable(sentence) else 0.0
        for sentence, found in zip(sentences, matches, strict=True)
    ]
    if not scores or max(scores) <= 0:
        return None
    # the first of the best-scoring sentences: pages say the important thing first
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    start, end = _window(sentences, best, scores)
    window = sentences[start : end + 1]
    covered = frozenset().union(*matches[start : end + 1])
    text = _joined([_trimmed(sentence, terms) for sentence in window])
    # a second sentence elsewhere in the passage that answers about as well comes along
    others = [i for i in range(len(sentences)) if not start <= i <= end]
    second = max(others, key=lambda i: (scores[i], -i), default=None)
    if (
        second is not None
        and scores[second] >= scores[best] * SECOND_SENTENCE
        and matches[second] - covered
        and len(text) + len(sentences[second]) <= MAX_QUOTE_CHARS
    ):
        extra = _joined([_trimmed(sentences[second], terms)])
        text = f"{text} … {extra}" if second > end else f"{extra} … {text}"
        covered |= matches[second]
    # the headings say what a passage is about: one under a matching heading comes first
    heading_terms = _matched(terms, " ".join((chunk.title, *chunk.heading_path)))
    score = scores[best] + 0.25 * sum(weights[t] for t in heading_terms)
    return _Quote(n=n, chunk=chunk, score=score, terms=covered, text=text)


def _chosen(quotes: list[_Quote], language: str) -> list[_Quote]:
    quotes = sorted(quotes, key=lambda quote: (-quote.score, quote.n))
    best = quotes[0]
    chosen = [best]
    covered = set(best.terms)
    for quote in quotes[1:]:
        if len(chosen) >= MAX_QUOTES or quote.score < best.score * MIN_SCORE:
            break
        if any(quote.text in other.text or other.text in quote.text for other in chosen):
            continue  # the same sentence on another page (a teaser, a repeated box)
        if quote.chunk.language != language and any(
            other.chunk.language == language for other in chosen
        ):
            continue  # the other language's version of a page already quoted
        adds = bool(quote.terms - covered)
        same_page = any(other.chunk.url == quote.chunk.url for other in chosen)
        if adds or (not same_page and quote.score >= best.score * CLOSE_SCORE):
            chosen.append(quote)
            covered |= quote.terms
    return chosen


def _lead(chosen: list[_Quote], language: str) -> str:
    if len({quote.chunk.url for quote in chosen}) == 1:
        title = " ".join(chosen[0].chunk.title.split())
        if title and len(title) <= 80 and not title.startswith(("http://", "https://")):
            return texts.pick(texts.EXTRACTIVE_LEAD_ONE, language).format(title=title)
    return texts.pick(texts.EXTRACTIVE_LEAD, language)


def _language_note(chosen: list[_Quote], language: str) -> str:
    """One line when every quote is in the other language than the question. Judged on the
    quotes themselves: a German site's page may well hold an English announcement."""
    languages = {detect_language(quote.text, quote.chunk.language, short=True) for quote in chosen}
    if len(languages) != 1:
        return ""
    (passages,) = languages
    if passages in ("de", "en") and passages != language:
        return texts.pick(texts.QUOTES_IN_OTHER_LANGUAGE, language)[passages]
    return ""


def extractive_answer(
    question: str, chunks: Sequence[RetrievedChunk], language: str
) -> ExtractiveAnswer | None:
    """Quote the sentences that answer; None when no passage has a readable sentence that
    shares a word with the question (the caller then says "I don't know")."""
    terms = question_terms(question)
    if not terms or not chunks:
        return None
    sentences = [split_sentences(chunk.text, chunk.language or "de") for chunk in chunks]
    matches = [[_matched(terms, sentence) for sentence in page] for page in sentences]
    weights = _weights(terms, [found for page in matches for found in page])
    quotes = [
        quote
        for n, (chunk, page, found) in enumerate(zip(chunks, sentences, matches, strict=True), 1)
        if (quote := _best_quote(n, chunk, page, found, terms, weights)) is not None
    ]
    if not quotes:
        return None
    chosen = _chosen(quotes, language)
    lines = [_lead(chosen, language)]
    note = _language_note(chosen, language)
    if note:
        lines.append(note)
    lines.append("")
    if len(chosen) == 1:
        lines.append(f"{chosen[0].text} [{chosen[0].n}]")
    else:
        lines.extend(f"- {quote.text} [{quote.n}]" for quote in chosen)
    return ExtractiveAnswer(text="\n".join(lines), used=tuple(quote.n for quote in chosen))
