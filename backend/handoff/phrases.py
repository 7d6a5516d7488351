"""Whether a visitor's message asks for a person rather than asking a question.

A short list of phrases in German and English, matched on the normalised message (lower case,
umlauts kept, punctuation dropped): no language model, so it is cheap, predictable and
tested (tests/handoff/test_phrases.py). A message that only mentions people ("Wer ist der
Ansprechpartner für Beiträge?") is a question and gets an answer; the phrases name the wish to
talk to, or reach, a person.
"""

from __future__ import annotations

import re
import unicodedata

# Searched anywhere in the normalised message; "^…$" ones only as the whole message.
_PATTERNS = [
    # German
    r"mit (einem|einer|nem|ner|jemandem|jemand)( (echten|richtigen|realen|menschlichen))?"
    r"( (menschen|person|mitarbeiter|mitarbeiterin|berater|beraterin|ansprechpartner))?"
    r" (sprechen|reden|chatten|schreiben|verbunden werden)",
    r"(einen|eine) (echten |richtigen )?(menschen|mitarbeiter|mitarbeiterin|person)"
    r" (sprechen|erreichen|kontaktieren)",
    r"(verbinden sie mich|verbinde mich) mit",
    r"(echter|echten|richtiger|richtigen) mensch",
    r"^(ein )?(mensch|mitarbeiter|ansprechpartner|support|kundenservice)( bitte)?$",
    # English
    r"(talk|speak|chat) (to|with) (a |an |some |the )?(real |live |actual )?"
    r"(human|person|agent|someone|somebody|operator|representative|staff member|people)\b",
    r"(connect|transfer) me (to|with)",
    r"(i want|i need|i'd like|i would like|can i get|can i have|give me|get me) (a |an )?"
    r"(real |live )?(human|person|agent|operator|representative)\b",
    r"^(a )?(human|agent|operator|representative|real person|live agent)( please)?$",
]
_PHRASES = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[^\w\s']", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def asks_for_person(text: str) -> bool:
    """True when the message asks to talk to a person (German or English)."""
    return bool(_PHRASES.search(normalise(text)))
