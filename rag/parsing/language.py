"""German or English, by counting frequent function words: good enough to pick a label and a
tesseract hint, with no model to download. The one language detector of Lotse: pages, PDFs and
chunks call it as it is; a visitor's question (``short=True``) is judged on fewer words."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

GERMAN_STOPWORDS = frozenset(
    """
    aber als also am an auch auf aus bei bin bis bist da damit dann das dass dem den der des
    dich die dies diese diesem diesen dieser dir doch dort du durch ein eine einem einen einer
    eines er es euch euer für gegen hat hatte haben hier ich ihr ihre im in ist ja jede jeder
    kann kein keine können man mein mich mit muss nach nicht noch nur ob oder ohne sehr sein
    seine sich sie sind so soll sowie über um und uns unser unter vom von vor war waren was
    weil wenn wer werden wie wir wird wo zu zum zur zwischen
    """.split()
)

ENGLISH_STOPWORDS = frozenset(
    """
    a about after all also an and any are as at be because been but by can could did do does
    for from had has have he her his how i if in into is it its may more most my no not of on
    one or other our out she should so some than that the their them then there these they
    this those to up us was we were what when where which who will with would you your
    """.split()
)

# words that ask, not say what is asked about: left out of queries and of
# the relevance decision's coverage (rag/answer/relevance.py)
QUESTION_WORDS = frozenset(
    """
    wie was wann wo wer wen wem wessen welche welcher welches welchen welchem warum wieso
    weshalb weswegen woher wohin womit wofür worauf wobei wozu wieviel wieviele viel viele
    gibt gib gab geben gilt kann könnte konnte kannst könnt muss musst müsst müssen darf
    dürfen darfst soll sollen sollte sollst will wollen möchte möchten mag brauche brauchen
    braucht bekomme bekommt bekommen kriege kriegt krieg erhalte erhält erhalten finde findet
    gehe geht machen mache macht tun tue bitte eigentlich genau etwa mal denn überhaupt
    hallo gerne gern jemand irgendwo irgendwie man mein meine meinen meinem meiner meines
    ihr ihre ihren ihrem ihrer ihres bei beim dafür dazu darf's gibt's geht's
    how what when where who whom whose which why whether much many does did doing do can
    could may might must shall should would will need needs get gets got find please tell
    know anyone someone there here me my mine any some
    """.split()
)
# below this many function words the text is too short to call
_MIN_HITS = 3

# What a short question says its language with beyond the function words above: how people
# ask and thank. Pages use these words too seldom to need them.
_GERMAN_QUESTION_HINTS = frozenset(
    """
    wann warum welche welcher welches wieviel wieviele können müssen gibt mir habe bitte danke
    gilt kostet gibt's darf dürfen sollen
    """.split()
)
_ENGLISH_QUESTION_HINTS = frozenset(
    """
    why much many me could did does do please thanks might cost costs
    """.split()
)
_GERMAN_LETTERS = frozenset("äöüßÄÖÜ")


def detect_language(text: str, default: str = "", *, short: bool = False) -> str:
    """Return "de", "en", or ``default`` when the text gives too little evidence.

    ``short``: a visitor's question. A few words are all there is, so one telling word
    decides (question words and umlauts count too) and any majority wins."""
    if short:
        return _detect_short(text, default)
    # counting first keeps the per-word work in C: this runs for every page and every chunk
    counts = Counter(_WORD.findall(text[:20000].lower()))
    german = sum(counts[word] for word in counts.keys() & GERMAN_STOPWORDS)
    english = sum(counts[word] for word in counts.keys() & ENGLISH_STOPWORDS)
    if max(german, english) < _MIN_HITS:
        return default
    # "in", "an" and "so" are in both lists; a clear margin avoids flip-flopping on mixed text
    if german >= english * 1.2:
        return "de"
    if english >= german * 1.2:
        return "en"
    return default


def _detect_short(text: str, default: str) -> str:
    words = _WORD.findall(text[:2000].lower())
    german = sum(word in GERMAN_STOPWORDS or word in _GERMAN_QUESTION_HINTS for word in words)
    english = sum(word in ENGLISH_STOPWORDS or word in _ENGLISH_QUESTION_HINTS for word in words)
    if any(char in _GERMAN_LETTERS for char in text):
        german += 1
    if german > english:
        return "de"
    if english > german:
        return "en"
    return default
