"""The admin's upload forms: several files at once, or one new version of an upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files (Django's documented pattern)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


ACCEPT = ".pdf,.docx,.odt,.html,.htm,.txt,.md,.markdown"


class UploadFilesForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("PDF, DOCX, ODT, HTML, TXT or Markdown; several at once."),
    )


class ReplaceFileForm(forms.Form):
    file = forms.FileField(
        label=_("New version"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_(
            "The current version stays served and indexed until the new one is indexed; "
            "unchanged content is not indexed again."
        ),
    )
