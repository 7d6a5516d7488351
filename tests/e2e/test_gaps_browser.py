"""From gap to answer in a real browser: an editor logs in, sees the unanswered question on the
dashboard, writes the answer from it in one click (the form comes prefilled), saves, and the
gap shows as closed, in the table and in the week's numbers; a thumbs-down leads to a form
that shows the visitor's comment. Screenshots for the editor guide (tests/e2e/browser.py:
test-artifacts/, and docs/images with LOTSE_DOC_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path, screenshot
from tests.helpers import clean_env

UNANSWERED = "Gibt es einen Parkplatz an der Sporthalle?"
RATED = "Was kostet die Halle für einen Kindergeburtstag?"
COMMENT = "Der Preis für Mitglieder fehlt"

# Visitors' conversations as the chat stores them: one question the site could not answer,
# one whose answer got a thumbs-down with a comment.
SEED = f"""
from django.contrib.auth.models import Group, User
from backend.chat.models import Conversation, Feedback, Message
user = User.objects.create_user("redaktion", password="geheim-123", is_staff=True)
user.groups.add(Group.objects.get(name="Editors"))
for question, outcome in [({UNANSWERED!r}, "unanswered"), ({RATED!r}, "answered")]:
    conversation = Conversation.objects.create(language="de")
    Message.objects.create(conversation=conversation, role="user", text=question)
    answer = Message.objects.create(conversation=conversation, role="assistant",
                                    text="Dazu finde ich nichts.", outcome=outcome)
Feedback.objects.create(message=answer, rating=Feedback.Rating.DOWN, comment={COMMENT!r})
"""


def to_top(page, selector: str) -> None:
    """Scrolled so that the element starts at the top of the screenshot."""
    page.locator(selector).evaluate("element => element.scrollIntoView({block: 'start'})")


@pytest.fixture
def server(tmp_path):
    chromium_path()  # skip early (or fail under CI) without a browser
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="backend.settings.dev",
        DEBUG="false",
    )
    lotse = LotseServer(env, tmp_path / "server.log")
    migrated = lotse.manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    seeded = lotse.manage("shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    lotse.start()
    yield lotse
    lotse.stop()


def test_editor_closes_a_gap_from_the_dashboard(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="de-DE")
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.base + "/admin/login/")
        page.fill("#id_username", "redaktion")
        page.fill("#id_password", "geheim-123")
        page.click("input[type=submit]")
        page.click("a:has-text('Übersicht')")  # German admin: "Dashboard"

        gap = page.locator("#gaps tr.gap", has_text=UNANSWERED)
        expect(gap).to_have_class("gap open")
        expect(page.locator('#gaps [data-stat="gaps"]')).to_have_text("2 offen, 0 geschlossen")
        rated = page.locator("#gaps tr.gap", has_text=RATED)
        expect(rated).to_contain_text(f"„{COMMENT}“")  # the thumbs-down's comment
        this_week = page.locator("#gaps-per-week tbody tr").last
        expect(this_week.locator('[data-stat="opened"]')).to_have_text("2")
        expect(this_week.locator('[data-stat="open"]')).to_have_text("2")
        to_top(page, "#gaps")
        screenshot(page, "editor-gaps-open")

        gap.locator("a.write-entry").click()  # one click: "Antwort schreiben"
        expect(page.locator("#id_question")).to_have_value(UNANSWERED)
        page.fill("#id_alternative_questions", "Wo kann ich parken?")
        page.fill(
            "#id_answer",
            "Hinter der Sporthalle gibt es 40 kostenlose Parkplätze, Zufahrt über die "
            "Lindenstraße.",
        )
        screenshot(page, "editor-gap-entry-form")
        page.click("input[name=_save]")
        expect(page.locator(".messagelist")).to_be_visible()

        page.goto(server.base + "/admin/dashboard/")
        closed = page.locator("#gaps tr.gap", has_text=UNANSWERED)
        expect(closed).to_have_class("gap closed")
        expect(closed.locator("a.write-entry")).to_have_count(0)
        expect(closed).to_contain_text("✓")
        expect(page.locator('#gaps [data-stat="gaps"]')).to_have_text("1 offen, 1 geschlossen")
        this_week = page.locator("#gaps-per-week tbody tr").last
        expect(this_week.locator('[data-stat="closed"]')).to_have_text("1")
        expect(this_week.locator('[data-stat="open"]')).to_have_text("1")
        to_top(page, "#gaps")
        screenshot(page, "editor-gaps-closed")

        # the closed gap links to its entry
        closed.locator("a").first.click()
        expect(page.locator("#id_question")).to_have_value(UNANSWERED)

        # a thumbs-down in Chat → Feedback: the form shows what the visitor wrote
        page.goto(server.base + "/admin/chat/feedback/")
        page.locator("#result_list a.write-entry").first.click()
        expect(page.locator("#id_question")).to_have_value(RATED)
        expect(page.locator(".visitor-feedback")).to_contain_text(COMMENT)
        screenshot(page, "editor-thumbs-down-entry")
        assert errors == []
        browser.close()
