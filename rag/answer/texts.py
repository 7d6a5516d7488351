"""What the visitor reads when Lotse speaks for itself, in German and English.

These texts follow the visitor's question, not the browser's locale, so they are kept per
language here instead of going through gettext's active language.
"""

from __future__ import annotations

DONT_KNOW = {
    "de": (
        "Dazu habe ich auf unserer Website leider keine Informationen gefunden. "
        "Ich möchte Ihnen nichts Falsches sagen."
    ),
    "en": (
        "I'm sorry, I could not find information about this on our website, "
        "and I don't want to tell you anything wrong."
    ),
}
CONTACT = {
    "de": "Bitte wenden Sie sich direkt an uns: {contact}",
    "en": "Please contact us directly: {contact}",
}
ANSWER_UNAVAILABLE = {
    "de": "Die Antwort ist gerade nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.",
    "en": "The answer service is not available right now. Please try again in a moment.",
}
SEARCH_UNAVAILABLE = {
    "de": "Die Suche ist gerade nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.",
    "en": "The search is not available right now. Please try again in a moment.",
}
EXTRACTIVE_INTRO = {
    "de": "Auf unserer Website steht dazu:",
    "en": "Here is what our website says about this:",
}


def pick(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts["en"]


def dont_know(
    language: str, contact_hint: str = "", overrides: dict[str, str] | None = None
) -> str:
    """The honest "I don't know" (an editor's wording when set), with the configured contact
    hint when there is one."""
    text = (overrides or {}).get(language) or pick(DONT_KNOW, language)
    if contact_hint:
        text += " " + pick(CONTACT, language).format(contact=contact_hint)
    return text


GREETING = {
    "de": "Hallo! Fragen Sie mich etwas zu unserer Website.",
    "en": "Hello! Ask me anything about our website.",
}
