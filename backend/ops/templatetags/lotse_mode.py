"""{% answer_mode %}: how the chat answers and searches, for the admin start page, in the
editor's language (the banner and /readyz say the same in English: stores.answer_mode)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from backend.wiring import answer_config, dense_config

register = template.Library()


@register.simple_tag
def answer_mode() -> dict:
    llm = answer_config().llm
    dense = dense_config()
    return {
        "extractive": not llm.enabled,
        "keywords_only": not dense.model,
        "answers": _("language model %(model)s") % {"model": llm.model}
        if llm.enabled
        else _("extractive: quotes from your pages (no language model)"),
        "search": _("keywords and meaning (%(model)s)") % {"model": dense.model}
        if dense.model
        else _("keywords only"),
    }
