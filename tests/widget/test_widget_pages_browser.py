"""The widget in real Chromium when things go wrong (throttling, server errors, broken streams,
a dropped network), on Lotse's demo page, and in the admin's embed page."""

from __future__ import annotations

import json

from tests.e2e.browser import screenshot
from tests.widget.browsing import (
    CHAT_API,
    QUESTION,
    ask,
    last_answer,
    open_widget,
    sse,
    wait_answered,
)


def test_throttling_server_errors_broken_streams_and_network_drops_read_clearly(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    cors = {"Access-Control-Allow-Origin": host.base}
    open_widget(page, host.base + "/")
    error = page.locator("#lotse-chat .error").last

    cases = [
        (
            "429",
            lambda route: route.fulfill(
                status=429,
                headers={**cors, "Retry-After": "7", "Content-Type": "application/json"},
                body=json.dumps({"code": "rate_limited", "message": "Too many", "retry_after": 7}),
            ),
            "Zu viele Fragen in kurzer Zeit. Bitte warten Sie 7 Sekunden",
        ),
        (
            "500",
            lambda route: route.fulfill(status=500, headers=cors, body="<h1>Server Error</h1>"),
            "Bei uns ist etwas schiefgegangen.",
        ),
        (
            "broken-stream",
            lambda route: route.fulfill(
                status=200,
                headers={**cors, "Content-Type": "text/event-stream"},
                body=sse(("token", {"text": "Eine halbe Antw"})) + "event: tok",
            ),
            "Die Antwort wurde unterbrochen.",
        ),
        (
            "error-event",
            lambda route: route.fulfill(
                status=200,
                headers={**cors, "Content-Type": "text/event-stream"},
                body=sse(
                    ("token", {"text": "Anfang"}),
                    ("error", {"code": "llm_timeout", "message": "x"}),
                    ("done", {"message_id": 5, "conversation_id": None, "outcome": "error"}),
                ),
            ),
            "Bei uns ist etwas schiefgegangen.",
        ),
        (
            "network",
            lambda route: route.abort("connectionreset"),
            "Der Chat-Server ist nicht erreichbar.",
        ),
    ]
    for name, handler, text in cases:
        page.route(CHAT_API, handler)
        ask(page, f"Frage {name}")
        wait_answered(page)
        expect(error).to_contain_text(text)
        expect(error).to_have_attribute("role", "alert")
        expect(error.locator("button.retry")).to_have_text("Erneut versuchen")
        screenshot(page, f"widget-error-{name}")
        page.unroute(CHAT_API)
    expect(page.locator("#lotse-chat .error")).to_have_count(len(cases))
    # the partial answer of the broken stream stays visible above its message
    expect(page.locator("#lotse-chat .msg.bot", has_text="Eine halbe Antw")).to_have_count(1)

    page.context.set_offline(True)
    ask(page, QUESTION)
    wait_answered(page)
    expect(error).to_contain_text("Sie scheinen offline zu sein.")
    screenshot(page, "widget-error-offline")
    page.context.set_offline(False)

    # Retry (after a reload: the failed question is kept) answers it for real.
    page.reload()
    expect(page.locator("#lotse-chat .panel")).to_be_visible()
    page.locator("#lotse-chat .error button.retry").last.click()
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("120 Euro")
    expect(page.locator("#lotse-chat .error")).to_have_count(len(cases))
    assert page.dialogs == []


def test_demo_page_embeds_the_widget_and_answers(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    open_widget(page, server.base + "/demo/")  # Lotse's own origin is allowed too
    # no editor texts here: the built-in greeting, no made-up suggestions
    expect(page.locator("#lotse-chat .msg.bot").first).to_have_text(
        "Hallo! Fragen Sie mich etwas zu unserer Website."
    )
    expect(page.locator("#lotse-chat .sugg button")).to_have_count(0)
    ask(page, "Wie hoch ist der Jahresbeitrag?")
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("120 Euro")
    screenshot(page, "widget-demo-page")


def test_admin_page_shows_the_script_tag_and_updates_it_live(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    page.goto(server.base + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "geheim-123")
    page.click("input[type=submit]")
    page.click("text=Script-Tag für Ihre Website")  # German admin (the browser's language)
    snippet = page.locator("#widget-snippet")
    expect(snippet).to_have_text(f'<script src="{server.base}/widget/widget.js" defer></script>')
    page.select_option("#id_language", "en")
    page.fill("#id_title", 'Help "me"')
    page.select_option("#id_position", "bottom-left")
    page.check("#id_sources_0")
    page.fill("#id_suggestions", "Opening hours?\nFees?")
    expect(snippet).to_have_text(
        f'<script src="{server.base}/widget/widget.js" data-language="en" '
        'data-title="Help &quot;me&quot;" data-position="bottom-left" data-sources="1" '
        'data-suggestions="Opening hours?|Fees?" defer></script>'
    )
    screenshot(page, "widget-admin-snippet")
