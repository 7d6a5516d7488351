"""Live chat: presence, the visitor's API, the supporters' inbox, first wins, the timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from backend.handoff import live
from backend.handoff.hours import supporter_available
from backend.handoff.models import HandOff, LiveMessage, OpeningHours, SupporterPresence
from tests.handoff.live_helpers import (
    ORIGIN,
    editor,
    inbox_post,
    inbox_state,
    open_all_week,
    poll,
    say,
    staff,
    start,
    visitor,
)

pytestmark = pytest.mark.django_db(transaction=True)

HTML = "<img src=x onerror=alert(1)> <b>fett</b>"


def test_a_supporter_with_the_inbox_open_within_opening_hours_makes_live_chat_available():
    assert not supporter_available()
    supporter = staff("sandra")
    assert not supporter_available()  # logged in, inbox not open
    inbox_state(supporter)
    assert not supporter_available()  # online, but no opening hours
    open_all_week()
    assert supporter_available()
    options = visitor.get("/api/v1/chat/handoff/options/", headers={"Origin": ORIGIN}).json()
    assert options["live"] is True
    # the heartbeat stops: offline after HANDOFF_ONLINE_S
    SupporterPresence.objects.update(seen_at=timezone.now() - timedelta(seconds=31))
    assert not supporter_available()
    OpeningHours.objects.all().delete()


def test_a_whole_live_chat_through_the_api(conversation):
    open_all_week()
    supporter = staff("sandra", first_name="Sandra")
    inbox_state(supporter)

    started = start(conversation.pk, language="de", reason="unanswered")
    assert started.status_code == 201, started.content
    chat = started.json()
    assert (chat["status"], chat["supporter"], chat["conversation_id"]) == (
        "waiting",
        "",
        str(conversation.pk),
    )
    assert start(conversation.pk).json()["id"] == chat["id"]  # asked twice: one hand-off

    waiting = inbox_state(supporter)["waiting"]
    assert [w["id"] for w in waiting] == [chat["id"]]
    transcript = waiting[0]["transcript"]
    assert transcript[1]["text"] == "Der Jahresbeitrag beträgt 60 Euro [1]."  # the answers too
    assert transcript[1]["sources"] == [
        {"title": "Beiträge", "url": "https://verein.example/beitraege/"}
    ]

    assert inbox_post(supporter, chat["id"], "take").status_code == 200
    state = poll(chat["id"], conversation.pk).json()
    assert (state["status"], state["supporter"]) == ("active", "Sandra")

    inbox_post(supporter, chat["id"], "typing")
    assert poll(chat["id"], conversation.pk).json()["typing"] is True
    assert say(chat["id"], conversation.pk, typing=True).status_code == 200
    assert inbox_state(supporter)["mine"][0]["typing"] is True

    assert inbox_post(supporter, chat["id"], "reply", {"text": HTML}).status_code == 200
    state = poll(chat["id"], conversation.pk).json()
    assert [(m["author"], m["text"]) for m in state["messages"]] == [("Sandra", HTML)]
    after = state["messages"][0]["id"]
    assert poll(chat["id"], conversation.pk, after=after).json()["messages"] == []

    written = say(chat["id"], conversation.pk, text="Danke! <script>x</script>")
    assert written.status_code == 201, written.content
    mine = inbox_state(supporter)["mine"]
    assert [(m["sender"], m["text"]) for m in mine[0]["live"]] == [
        ("supporter", HTML),
        ("visitor", "Danke! <script>x</script>"),
    ]
    # the reply becomes a knowledge entry with one click: the add form, prefilled
    link = mine[0]["live"][0]["entry_url"]
    assert link.startswith("/admin/knowledge/knowledgeentry/add/?question=")
    assert "answer=%3Cimg" in link

    assert inbox_post(supporter, chat["id"], "end").status_code == 200
    state = poll(chat["id"], conversation.pk).json()
    assert (state["status"], state["ended_by"]) == ("ended", "supporter")
    refused = say(chat["id"], conversation.pk, text="Hallo?")
    assert (refused.status_code, refused.json()["code"]) == (409, "chat_ended")
    # the hand-off's admin page keeps the live chat, as text
    page = supporter.get(f"/admin/handoff/handoff/{chat['id']}/change/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "Danke! &lt;script&gt;" in page


def test_of_two_supporters_taking_the_same_chat_the_first_wins(conversation):
    open_all_week()
    first, second = staff("anna", first_name="Anna"), staff("ben")
    inbox_state(first)
    chat = start(conversation.pk).json()

    assert inbox_post(first, chat["id"], "take").status_code == 200
    late = inbox_post(second, chat["id"], "take")
    assert (late.status_code, late.json()["code"]) == (409, "taken")
    assert HandOff.objects.get(pk=chat["id"]).supporter_name == "Anna"
    # the second one cannot write into or end the first one's chat either
    assert inbox_post(second, chat["id"], "reply", {"text": "Hallo"}).status_code == 409
    assert inbox_post(second, chat["id"], "end").status_code == 409
    assert inbox_post(second, chat["id"], "typing").status_code == 409
    assert inbox_state(second)["mine"] == []
    assert not LiveMessage.objects.exists()


def test_a_supporter_whose_browser_closed_mid_chat_gives_the_chat_back_to_waiting(conversation):
    open_all_week()
    supporter = staff("sandra")
    inbox_state(supporter)
    chat = start(conversation.pk).json()
    inbox_post(supporter, chat["id"], "take")
    inbox_state(supporter)  # a heartbeat keeps it
    assert poll(chat["id"], conversation.pk).json()["status"] == "active"

    first_taken = HandOff.objects.get(pk=chat["id"]).taken_at
    HandOff.objects.filter(pk=chat["id"]).update(
        supporter_seen_at=timezone.now() - timedelta(seconds=31)
    )
    state = poll(chat["id"], conversation.pk).json()
    assert (state["status"], state["supporter"]) == ("waiting", "")
    assert HandOff.objects.get(pk=chat["id"]).supporter is None
    # another supporter can take it now
    other = staff("tom")
    assert inbox_post(other, chat["id"], "take").status_code == 200
    assert HandOff.objects.get(pk=chat["id"]).taken_at == first_taken  # the waiting time


def test_handing_back_to_the_assistant_ends_the_chat_for_the_visitor(conversation):
    open_all_week()
    supporter = staff("sandra")
    inbox_state(supporter)
    chat = start(conversation.pk).json()
    inbox_post(supporter, chat["id"], "take")
    assert inbox_post(supporter, chat["id"], "hand_back").status_code == 200
    assert poll(chat["id"], conversation.pk).json()["ended_by"] == "assistant"


def test_nobody_online_refuses_live_chat_so_the_widget_shows_the_form(conversation):
    open_all_week()
    refused = start(conversation.pk)
    assert (refused.status_code, refused.json()["code"]) == (409, "no_supporter")
    assert not HandOff.objects.exists()


@override_settings(CHAT_RATE_LIMIT_PER_CONVERSATION=3)
def test_live_messages_are_rate_limited_like_questions(conversation):
    open_all_week()
    inbox_state(staff("sandra"))
    chat = start(conversation.pk).json()  # counts as one request of the conversation
    assert say(chat["id"], conversation.pk, text="eins").status_code == 201
    assert say(chat["id"], conversation.pk, text="zwei").status_code == 201
    limited = say(chat["id"], conversation.pk, text="drei")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert list(LiveMessage.objects.values_list("text", flat=True)) == ["eins", "zwei"]


def test_a_visitor_reaches_only_their_own_conversations_chat(conversation):
    open_all_week()
    inbox_state(staff("sandra"))
    chat = start(conversation.pk).json()
    other = start(None).json()  # another visitor, a conversation of their own
    assert other["conversation_id"] != str(conversation.pk)
    assert poll(chat["id"], other["conversation_id"]).status_code == 404
    assert say(chat["id"], other["conversation_id"], text="hi").status_code == 404
    assert poll(chat["id"], "not-a-uuid").status_code == 400
    gone = start("6a9d1b52-2a55-4a4c-9d63-0c4b6f8b1f00")  # expired: the widget starts anew
    assert (gone.status_code, gone.json()["code"]) == (404, "unknown_conversation")
    assert poll(chat["id"], conversation.pk).status_code == 200


def test_only_supporters_and_administrators_use_the_inbox(conversation):
    open_all_week()
    inbox_state(staff("sandra"))
    chat = start(conversation.pk).json()
    editor_client = editor()
    assert b"/admin/handoff/inbox/" not in editor_client.get("/admin/").content
    assert editor_client.get("/admin/handoff/inbox/state/").status_code == 403
    assert editor_client.get("/admin/handoff/inbox/").status_code == 403
    assert inbox_post(editor_client, chat["id"], "take").status_code == 403
    admin = staff("root", group="Administrators")
    assert b"/admin/handoff/inbox/" in admin.get("/admin/").content  # linked on the start page
    assert admin.get("/admin/handoff/inbox/").status_code == 200
    assert inbox_post(admin, chat["id"], "take").status_code == 200
    # anonymous: the admin's login page; no CSRF token: refused
    anonymous = visitor.get("/admin/handoff/inbox/state/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    sandra = staff("sandra2")
    assert sandra.post(f"/admin/handoff/inbox/{chat['id']}/end/").status_code == 403


def test_live_text_is_checked(conversation):
    assert live.clean_text("  hallo ") == "hallo"
    for bad in ("", "   ", "x" * 2001, "a\x00b"):
        with pytest.raises(live.ChatError):
            live.clean_text(bad)
