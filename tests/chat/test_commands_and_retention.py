"""manage.py search / delete_old_chats, anonymisation and retention."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from backend.chat.models import Conversation, Feedback, Message
from backend.chat.services import anonymise_client, delete_old_conversations

pytestmark = pytest.mark.django_db(transaction=True)


def run_search(*args) -> list[dict]:
    out = StringIO()
    call_command("search", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.usefixtures("corpus")
def test_search_prints_one_json_line_per_query(tmp_path):
    (line,) = run_search("Wann ist die Mitgliederversammlung?", "--json", "-k", "2")
    assert line["query"] == "Wann ist die Mitgliederversammlung?"
    assert len(line["results"]) == 2
    best = line["results"][0]
    # hybrid by default (the bundled model): each side's score beside the fused one
    assert set(best) == {
        "rank", "score", "url", "title", "page", "text", "sparse_score", "dense_score",
        "dense_background",
    }  # fmt: skip
    assert (best["rank"], best["url"], best["page"]) == (1, "https://verein.example/satzung.pdf", 2)
    assert best["score"] >= line["results"][1]["score"]

    queries = tmp_path / "queries.txt"
    queries.write_text("Jahresbeitrag\n\nTrainingszeiten Kinderturnen\nWetter in Paris\n")
    lines = run_search("--file", str(queries), "--json")
    assert [line["query"] for line in lines] == [
        "Jahresbeitrag",
        "Trainingszeiten Kinderturnen",
        "Wetter in Paris",
    ]
    assert lines[1]["results"][0]["url"] == "https://verein.example/training/"
    # no word in common: only the dense side's nearest passages, none of them lexical
    assert all(result["sparse_score"] is None for result in lines[2]["results"])


@pytest.mark.usefixtures("corpus")
def test_search_filters_by_source_and_reads_as_a_table():
    (line,) = run_search("Geschäftsstelle Jahresbeitrag", "--json", "--source", "2")
    assert {r["url"] for r in line["results"]} == {"https://verein.example/geschaeftsstelle/"}
    out = StringIO()
    call_command("search", "Jahresbeitrag", stdout=out)
    assert "https://verein.example/beitraege/" in out.getvalue()


def test_search_needs_exactly_one_query_source():
    with pytest.raises(CommandError):
        call_command("search")


def test_client_hash_is_salted_daily_and_hides_the_address():
    today, tomorrow = date(2026, 11, 21), date(2026, 11, 22)
    first = anonymise_client("203.0.113.5", today)
    assert first == anonymise_client("203.0.113.5", today)
    assert first != anonymise_client("203.0.113.5", tomorrow)
    assert first != anonymise_client("203.0.113.6", today)
    assert len(first) == 64 and "203" not in first
    with override_settings(SECRET_KEY="another-key"):
        assert anonymise_client("203.0.113.5", today) != first


def _conversation(days_old: int) -> Conversation:
    conversation = Conversation.objects.create()
    Conversation.objects.filter(id=conversation.id).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    message = Message.objects.create(conversation=conversation, role="assistant", text="x")
    Feedback.objects.create(message=message, rating=1)
    return conversation


def test_retention_deletes_old_conversations_with_messages_and_feedback():
    old, recent = _conversation(100), _conversation(10)
    with override_settings(CHAT_RETENTION_DAYS=90):
        assert delete_old_conversations() == 1
    assert list(Conversation.objects.values_list("id", flat=True)) == [recent.id]
    assert not Message.objects.filter(conversation_id=old.id).exists()
    assert Feedback.objects.count() == 1
    with override_settings(CHAT_RETENTION_DAYS=0):
        assert delete_old_conversations() == 0  # 0 keeps everything


def test_delete_old_chats_command():
    _conversation(40)
    _conversation(5)
    out = StringIO()
    call_command("delete_old_chats", "--days", "30", stdout=out)
    assert "Deleted 1 conversation(s)." in out.getvalue()
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("command", [("search", "Beitrag"), ("ask", "Beitrag?")])
def test_commands_say_clearly_when_the_server_holds_the_stores(monkeypatch, command):
    from backend.chat.management.commands import search
    from backend.ops.embedded import EmbeddedStoresLocked

    def locked():
        raise EmbeddedStoresLocked("The embedded stores are in use by another Lotse process.")

    monkeypatch.setattr(search, "vector_client", locked)
    with pytest.raises(CommandError, match="in use by another Lotse process"):
        call_command(*command)


@pytest.mark.usefixtures("corpus")
def test_warm_up_loads_the_index_and_freezes_what_it_loaded(caplog):
    import gc
    import logging

    from backend.chat.services import warm_up

    try:
        with caplog.at_level(logging.INFO, logger="backend.chat.services"):
            warm_up()
        assert "chat warm-up done" in caplog.text
        assert gc.get_freeze_count() > 0  # the loaded objects are out of the collector's way
    finally:
        gc.unfreeze()
