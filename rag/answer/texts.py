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
# who wrote an editor's knowledge entry, as its citation says when it links nowhere
EDITORIAL = {"de": "Redaktion", "en": "Editorial team"}
EXTRACTIVE_LEAD = {
    "de": "Dazu steht auf unserer Website:",
    "en": "Here is what our website says about this:",
}
EXTRACTIVE_LEAD_ONE = {
    "de": "Dazu steht auf der Seite „{title}“:",
    "en": "Our page “{title}” says:",
}
# by the question's language, then by the quoted pages' language
QUOTES_IN_OTHER_LANGUAGE = {
    "de": {"en": "Die Seite ist auf Englisch.", "de": ""},
    "en": {"de": "The page is in German.", "en": ""},
}
# first line of an extractive answer given because the language model failed
MODEL_FAILED_NOTE = {
    "de": "Der Sprachassistent ist gerade nicht erreichbar, daher zitiere ich direkt unsere Website.",
    "en": "The language assistant is not available right now, so I am quoting our website directly.",
}
# after an answer the model broke off at its length limit
ANSWER_CUT_OFF = {
    "de": "(Die Antwort wurde hier gekürzt. Die vollständigen Angaben finden Sie in den Quellen.)",
    "en": "(The answer was cut short here. The sources below have the full details.)",
}


def pick(texts: dict, language: str):
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
