"""Questions that give retrieval nothing to hold on to get a clear answer, never an error."""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.chat.models import Message
from backend.chat.retrieval import find_passages
from backend.ops import stores
from backend.wiring import answer_config
from tests.chat.conftest import ask

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("question", ["Was ist das denn?", "Wie? Was? Wo?", "what is it?"])
def test_a_question_of_stop_words_only_is_unanswered(question):
    result = ask(question)
    assert result.status == 200
    (done,) = result.of("done")
    assert done["outcome"] == "unanswered"
    assert not result.of("error")


@pytest.mark.usefixtures("corpus")
def test_a_1000_character_question_is_answered_or_declined_cleanly():
    question = ("Wie hoch ist der Jahresbeitrag für Erwachsene und Kinder im Verein? " * 15)[:1000]
    assert len(question) == 1000
    result = ask(question)
    assert result.status == 200
    (done,) = result.of("done")
    assert done["outcome"] == "answered"  # the words are the Beiträge page's own
    assert result.of("sources")[0][0]["url"] == "https://verein.example/beitraege/"
    # one character more is the API's clear "message_too_long", not a search
    assert ask(question + "x").status == 413


def test_an_empty_index_means_i_do_not_know():
    with override_settings(QDRANT_COLLECTION_PREFIX="never-indexed"):
        stores.close_stores()
        passages = find_passages("Wie hoch ist der Jahresbeitrag?", [], answer_config())
        assert passages.ranked == [] and passages.abstains
        result = ask("Wie hoch ist der Jahresbeitrag?")
        (done,) = result.of("done")
        assert done["outcome"] == "unanswered"
        assert Message.objects.get(id=done["message_id"]).retrieved == []
        stores.close_stores()
