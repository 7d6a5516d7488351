"""Which language a visitor's question is in: German or English, from a few function words.

Questions are short, so one or two telling words decide; with none, the caller's default
(the widget page's language, or the conversation's) applies.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

_GERMAN = frozenset(
    """
    der die das den dem des ein eine einen einem einer ist sind wird werden wie was wer wo
    wann warum welche welcher welches wieviel wieviele kann können muss müssen gibt es ich
    mich mir wir uns ihr sie und oder nicht kein keine für mit von bei zum zur im auf aus
    habe haben hat bitte danke gilt kostet gibt's darf dürfen soll sollen über noch auch
    """.split()
)
_ENGLISH = frozenset(
    """
    the a an is are were what who where when why which how much many can could do does
    did i me my we our you your it its of for with from at to in on and or not no have has
    please thanks there any will would should may might cost costs does
    """.split()
)
_GERMAN_LETTERS = set("äöüßÄÖÜ")


def detect_question_language(text: str, default: str = "de") -> str:
    """ "de" or "en"; ``default`` when the question gives no evidence either way."""
    german = english = 0
    for match in _WORD.finditer(text[:2000]):
        word = match.group().lower()
        german += word in _GERMAN
        english += word in _ENGLISH
    if any(char in _GERMAN_LETTERS for char in text):
        german += 1
    if german > english:
        return "de"
    if english > german:
        return "en"
    return default
