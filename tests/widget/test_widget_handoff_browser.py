"""Asking for a person in real Chromium: by phrase, after "I don't know", by the header
button; the form checks its fields, shows the server's reason for a refusal, keeps markup as
text, and the request lands in Lotse as a ticket hand-off with the conversation."""

from __future__ import annotations

import json

from tests.e2e.browser import screenshot
from tests.widget.browsing import ask, last_answer, open_widget, wait_answered

HANDOFFS = """
import json
from backend.handoff.models import HandOff
print(json.dumps([
    {"message": h.message, "email": h.email, "reason": h.reason, "status": h.status,
     "turns": h.conversation.messages.count()} for h in HandOff.objects.order_by("id")
]))
"""


def stored(server) -> list[dict]:
    result = server.manage("shell", "-c", HANDOFFS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_asking_for_a_person_opens_the_form_and_sends_a_ticket(lotse, page):
    from playwright.sync_api import expect

    server, host, _content = lotse
    open_widget(page, host.base + "/")
    ask(page, "Ich möchte mit einem Menschen sprechen")
    wait_answered(page)
    form = page.locator("#lotse-chat form.handoff")
    expect(form).to_be_visible()
    expect(page.locator("#lotse-chat .msg.bot").nth(-2)).to_contain_text("Gern.")
    expect(form.locator("label[for=lotse-h-consent]")).to_contain_text("Support-Team")

    # the widget's own checks, then the server's reason for what it refuses
    form.locator("#lotse-h-message").fill("Bitte rufen Sie mich an. <img src=x onerror=alert(1)>")
    form.locator("button.primary").click()
    expect(form.locator(".error")).to_have_text(
        "Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer an."
    )
    form.locator("#lotse-h-email").fill("erika@example")
    form.locator("#lotse-h-consent").check()
    form.locator("button.primary").click()
    expect(form.locator(".error")).to_contain_text("gültige E-Mail-Adresse")
    screenshot(page, "widget-handoff-form")

    form.locator("#lotse-h-email").fill("erika@example.org")
    form.locator("button.primary").click()
    expect(last_answer(page)).to_have_text(
        "Danke! Ihre Nachricht ist bei uns angekommen. Wir melden uns bei Ihnen."
    )
    screenshot(page, "widget-handoff-sent")
    assert page.dialogs == [] and page.errors == []

    (ticket,) = stored(server)
    assert ticket["message"] == "Bitte rufen Sie mich an. <img src=x onerror=alert(1)>"
    assert (ticket["email"], ticket["reason"]) == ("erika@example.org", "asked")
    assert ticket["status"] == "ticket_created"  # no delivery chosen: kept in Lotse
    assert ticket["turns"] == 2  # the visitor's wish and the offer, in the transcript


def test_a_person_is_offered_after_i_dont_know_and_by_the_header_button(lotse, page):
    from playwright.sync_api import expect

    _server, host, _content = lotse
    open_widget(page, host.base + "/")
    ask(page, "Wie heißt der Hund des Kassenwarts auf dem Mond?")
    wait_answered(page)
    offer = last_answer(page).locator("button.offer")
    expect(offer).to_have_text("Möchten Sie lieber mit einem Menschen sprechen?")
    offer.click()
    form = page.locator("#lotse-chat form.handoff")
    expect(form).to_be_visible()
    form.locator("button", has_text="Abbrechen").click()
    expect(form).to_have_count(0)

    page.locator("#lotse-chat header button[aria-label='Mit einem Menschen sprechen']").click()
    expect(form).to_be_visible()
