"""Sentences of German and English text: the one splitter of the chunker and the answers.

A sentence ends at ".", "!" or "?" (closing quotes and brackets may follow) before a space and
something that can start one, unless the cut would be wrong: after an abbreviation ("Dr.",
"ca.", "z. B.", "bzw.", "Hauptstr."), after a German ordinal or inside a date ("am 14. Juni",
"1. Mai 2024"; "01.02.2024" has no space to cut at), or before a word in lower case, which
never starts a sentence. Paragraph and line breaks always end one: a heading, a list item or
a table row has no full stop.

Why not a library: tests/bench/bench_sentences.py compares these rules with sentencex, pysbd,
syntok and somajo on hand-split German and English cases and on XQuAD's German paragraphs;
the libraries cut at German ordinals and dates or miss sentences that start with a number
("… Vergessenheit. 1960 benannte …"), and the same repairs on top of them were no better than
these rules alone (numbers in docs/indexing.md).
"""

from __future__ import annotations

import re

# Lower case, without the final full stop. Besides these, every single letter ("z. B.",
# "u. a.", "e. V."), every token with a dot inside ("e.g.", "z.B.", "a.m.") and every word
# ending in "str" ("Hauptstr.") counts as an abbreviation.
ABBREVIATIONS = frozenset(
    """
    abb abs abt allg anm ausg bd betr bspw bzgl bzw ca chr dipl dr evtl fa ff frl geb gegr gem
    ggf hbf hg hrsg hr hrn inkl ing jh jhd kap lt max mind min mio mrd mwst nachf nr od orig
    pos prof rd sog st std tel tsd usf usw vgl vs zt zz zzt zzgl zit bes bzgl eigtl einschl
    erg gez jan feb febr mär apr jun jul aug sep sept okt nov dez mo di mi do fr sa
    mr mrs ms jr sr etc approx fig figs no nos pp vol vols ch sec dept est inc ltd co corp
    mar oct dec mon tue tues wed thu thur thurs fri sat cf al ed eds
    """.split()
)

_LINE_BREAKS = re.compile(r"\s*\n\s*")
# byte order marks and zero-width spaces (copied from Word, CMS editors) would end up in quotes
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"))
_LAST_TOKEN = re.compile(r"(\S+)\.$")
_LETTER = re.compile(r"[^\W\d_]")
# "14." or a day and month "06.04." ("am 06.04. feiern wir")
_ORDINAL_OR_DAY = re.compile(r"\d{1,3}|\d{1,2}\.\d{1,2}")
# after an ordinal comes a noun or a month ("14. Juni"); one of these starts a new sentence
# ("in der Goethestr. 12. Der Eingang ist hinten.")
_SENTENCE_STARTERS = frozenset(
    """
    der die das den dem des ein eine einen einem einer wir sie er es ich ihr man dort hier
    dann danach davor bitte auch aber und oder so da denn doch nun jetzt heute dies diese
    dieser dieses wer wie was wann wo warum im am zum zur bei mit für von seit ab mehr
    """.split()
)
# a candidate end: a full stop, ! or ? (closing quotes, brackets, footnote marks "[3]" may
# follow), space, and something that can start a sentence
_PLAIN_END = re.compile(r"[.!?…]+(?:\[\d{1,3}\]|[\"“”»«'’)\]])*\s+(?=[\"„“»«'‘(\[]?[A-ZÄÖÜ0-9])")


def _is_abbreviation(token: str) -> bool:
    token = token.lstrip("([{\"„“»«'")
    lowered = token.lower()
    return bool(
        lowered in ABBREVIATIONS
        or (len(token) == 1 and _LETTER.match(token))
        # "e.g.", "z.B.", "U.S." (but not "www.verein.de." or "01.02.2024.")
        or (
            "." in token
            and all(0 < len(part) <= 2 for part in token.split("."))
            and not token.replace(".", "").isdigit()
        )
        or (len(lowered) > 3 and lowered.endswith("str") and lowered.isalpha())
    )


def _continues(previous: str, following: str, language: str) -> bool:
    """Whether the cut between two pieces is wrong: the first ends in an abbreviation (or a
    German ordinal), or the second starts in lower case."""
    if following[:1].islower():
        return True
    last = _LAST_TOKEN.search(previous)
    if last is None:
        return False
    token = last.group(1)
    if _is_abbreviation(token):
        return True
    # "am 14. Juni", "im 19. Jahrhundert", "am 06.04. feiern wir": in English an ordinal is
    # "14th", so "5." ends one
    if language == "en" or not _ORDINAL_OR_DAY.fullmatch(token.lstrip("([")):
        return False
    first_word = following.split(" ", 1)[0].strip(",;:").lower()
    return first_word not in _SENTENCE_STARTERS


def join_wrong_cuts(pieces: list[str], language: str) -> list[str]:
    """Pieces of one line, cut at every candidate end, with the wrong cuts joined again."""
    sentences: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if sentences and _continues(sentences[-1], piece, language):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def candidate_pieces(line: str) -> list[str]:
    """``line`` cut at every end mark before a space and a capital, digit or quote."""
    pieces, start = [], 0
    for match in _PLAIN_END.finditer(line):
        pieces.append(line[start : match.end()])
        start = match.end()
    pieces.append(line[start:])
    return pieces


def split_sentences(text: str, language: str = "de") -> list[str]:
    """The sentences of ``text`` in order, inner whitespace collapsed. ``language`` "en"
    uses English rules, anything else German ones."""
    sentences: list[str] = []
    for line in _LINE_BREAKS.split(text.translate(_INVISIBLE)):
        line = " ".join(line.split())
        if not line:
            continue
        sentences.extend(join_wrong_cuts(candidate_pieces(line), language))
    return sentences
