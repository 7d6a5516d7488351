"""The one place that imports ``unstructured``, made safe for an offline worker.

Two things in unstructured 0.27 would reach the internet at run time:

* telemetry: a ping on import and on every ``partition_*`` call unless ``DO_NOT_TRACK`` or
  ``SCARF_NO_ANALYTICS`` is set. Lotse never phones home, so both are forced on here, before
  the first import, whatever the environment says.
* ``unstructured.nlp.tokenize`` downloads the spaCy model ``en_core_web_sm`` from GitHub the
  first time a text element is classified (``partition_html`` does this for every paragraph).
  That model is English-only, so for German pages its part-of-speech tags are noise anyway.
  We hand it a blank multilingual spaCy pipeline with a rule-based sentencizer instead: the
  tokenizer and sentence splitting still work, the tagger returns no tags, so a paragraph is
  classified ``Text`` rather than ``NarrativeText`` - a distinction the chunker ignores.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

logger = logging.getLogger(__name__)


@functools.cache
def _blank_spacy_pipeline() -> Any:
    import spacy

    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


@functools.cache
def unstructured_version() -> str:
    _prepare()
    from unstructured.__version__ import __version__

    return __version__


@functools.cache
def _prepare() -> None:
    os.environ["DO_NOT_TRACK"] = "true"
    os.environ["SCARF_NO_ANALYTICS"] = "true"
    # the "try our commercial offering" notice is a log line per process, not useful to us
    os.environ["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
    import unstructured.nlp.tokenize as tokenize

    tokenize._get_nlp = _blank_spacy_pipeline


def partition_html(html: str, language: str) -> list[Any]:
    """``unstructured``'s HTML elements for already-cleaned markup."""
    _prepare()
    from unstructured.partition.html import partition_html as _partition_html

    # an explicit language stops unstructured from running langdetect on every element
    languages = {"de": ["deu"], "en": ["eng"]}.get(language, ["deu", "eng"])
    return _partition_html(text=html, languages=languages)
