"""The live chat scenario both browser tests run: a visitor and a supporter, each in their own
Chromium page, maybe talking to different backend processes."""

from __future__ import annotations

from tests.e2e.browser import screenshot
from tests.widget.browsing import ask, last_answer, open_widget, wait_answered

SUPPORTER = """
from datetime import time
from django.contrib.auth.models import Group, User
from backend.handoff.models import OpeningHours
from backend.ops.roles import SUPPORTERS
if not User.objects.filter(username="sandra").exists():
    user = User.objects.create_user(
        "sandra", password="geheim-456", is_staff=True, first_name="Sandra"
    )
    user.groups.add(Group.objects.get(name=SUPPORTERS))
    for day in range(7):
        OpeningHours.objects.create(weekday=day, opens=time(0, 0), closes=time(23, 59, 59))
"""
REPLY = "Ich helfe gern: <b>Rabatt</b> gibt es für Familien."
UNKNOWN = "Wie heißt der Hund des Kassenwarts auf dem Mond?"


def make_supporter(server) -> None:
    result = server.manage("shell", "-c", SUPPORTER)
    assert result.returncode == 0, result.stderr


def open_inbox(page, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/admin/login/?next=/admin/handoff/inbox/")
    page.fill("#id_username", "sandra")
    page.fill("#id_password", "geheim-456")
    page.click("input[type=submit]")
    expect(page.locator("#inbox-online")).to_contain_text("1")


def live_chat(visitor, supporter, *, host: str, supporter_base: str, name: str) -> None:
    from playwright.sync_api import expect

    open_inbox(supporter, supporter_base)
    open_widget(visitor, host + "/")
    ask(visitor, UNKNOWN)
    wait_answered(visitor)
    offer = last_answer(visitor).locator("button.offer")
    offer.click()
    expect(last_answer(visitor)).to_have_text("Warte auf eine Mitarbeiterin / einen Mitarbeiter…")

    waiting = supporter.locator("#inbox-waiting .chat")
    expect(waiting).to_have_count(1, timeout=15_000)
    expect(waiting).to_contain_text(UNKNOWN)  # the whole conversation, the answer too
    expect(supporter).to_have_title(__import__("re").compile(r"^\(1\) "))
    waiting.locator("button.take").click()
    expect(visitor.locator("#lotse-chat .msg.bot.live-status").last).to_have_text(
        "Chat aktiv mit Sandra", timeout=15_000
    )

    mine = supporter.locator("#inbox-mine .chat")
    mine.locator("textarea").fill(REPLY)
    expect(visitor.locator("#lotse-chat .msg.typing")).to_be_visible(timeout=15_000)
    mine.locator("button.reply").click()
    reply = visitor.locator("#lotse-chat .msg.bot.live").last
    expect(reply).to_contain_text(REPLY, timeout=15_000)  # markup shown as text
    expect(reply.locator("b")).to_have_count(0)

    visitor.locator("#lotse-input").fill("Danke, wir sind zu viert.")
    visitor.locator("#lotse-input").press("Enter")
    expect(supporter.locator("#inbox-mine .chat .live-visitor")).to_contain_text(
        "Danke, wir sind zu viert.", timeout=15_000
    )
    expect(supporter.locator("#inbox-mine .chat a.to-entry")).to_have_count(1)
    screenshot(supporter, f"inbox-{name}")
    screenshot(visitor, f"widget-live-{name}")

    supporter.locator("#inbox-mine .chat button.end").click()
    expect(visitor.locator("#lotse-chat .msg.bot.live-status").last).to_have_text(
        "Die Mitarbeiterin / der Mitarbeiter hat den Chat beendet.", timeout=15_000
    )
    expect(supporter.locator("#inbox-mine .chat")).to_have_count(0)
    assert visitor.dialogs == [] and visitor.errors == []
    assert supporter.dialogs == [] and supporter.errors == []


GONE = """
from datetime import timedelta
from django.utils import timezone
from backend.handoff.models import HandOff, SupporterPresence
long_ago = timezone.now() - timedelta(minutes=5)
HandOff.objects.filter(status="active").update(supporter_seen_at=long_ago)
SupporterPresence.objects.update(seen_at=long_ago)
"""


def supporter_leaves(server) -> None:
    """As if the supporter's browser had closed HANDOFF_ONLINE_S ago: no heartbeat since."""
    result = server.manage("shell", "-c", GONE)
    assert result.returncode == 0, result.stderr
