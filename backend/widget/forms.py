"""The admin form that builds the script tag."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.sources.models import Source
from backend.widget.snippet import WidgetOptions

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _color(value: str) -> str:
    if value and not HEX_COLOR.match(value):
        raise forms.ValidationError(_("Use a colour like #1d4ed8."))
    return value.lower()


class WidgetOptionsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The page's language")), ("de", "Deutsch"), ("en", "English")],
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=80)
    greeting = forms.CharField(
        label=_("Greeting"), required=False, max_length=300, widget=forms.Textarea({"rows": 2})
    )
    color = forms.CharField(
        label=_("Colour"),
        required=False,
        initial="#1d4ed8",
        widget=forms.TextInput({"type": "color"}),
    )
    color_text = forms.CharField(
        label=_("Text colour on it"),
        required=False,
        help_text=_("Empty: black or white, whichever reads better."),
        widget=forms.TextInput({"placeholder": "#ffffff"}),
    )
    position = forms.ChoiceField(
        label=_("Position"),
        required=False,
        choices=[("", _("Bottom right")), ("bottom-left", _("Bottom left"))],
    )
    sources = forms.ModelMultipleChoiceField(
        label=_("Sources to search"),
        required=False,
        queryset=Source.objects.order_by("name"),
        help_text=_("None selected: all sources."),
        widget=forms.CheckboxSelectMultiple,
    )
    suggestions = forms.CharField(
        label=_("Suggested questions"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea({"rows": 3}),
    )

    matomo = forms.BooleanField(
        label=_("Matomo events"),
        required=False,
        help_text=_(
            "When the page runs Matomo, the chat reports to it: opened, question asked, "
            "answered, not answered, handed off, feedback."
        ),
    )
    matomo_questions = forms.BooleanField(
        label=_("Questions' text in Matomo"),
        required=False,
        help_text=_(
            "Also send the visitor's question as the event name. Only with Matomo events, and "
            "only if your privacy notice covers it."
        ),
    )

    def clean_color(self) -> str:
        value = _color(self.cleaned_data["color"])
        return "" if value == "#1d4ed8" else value  # the default needs no attribute

    def clean_color_text(self) -> str:
        return _color(self.cleaned_data["color_text"].strip())

    def options(self) -> WidgetOptions:
        data = self.cleaned_data
        return WidgetOptions(
            language=data["language"],
            title=data["title"],
            greeting=data["greeting"],
            color=data["color"],
            color_text=data["color_text"],
            position=data["position"],
            sources=tuple(sorted(s.pk for s in data["sources"])),
            suggestions=tuple(line for line in data["suggestions"].splitlines() if line.strip()),
            matomo=data["matomo"],
            matomo_questions=data["matomo_questions"],
        )
