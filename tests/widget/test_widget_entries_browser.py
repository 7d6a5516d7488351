"""Acceptance: a visitor asks the widget what the site cannot answer; an editor writes the
answer as a knowledge entry in the admin, in real Chromium; the next visitor (another browser
context: no conversation, no storage shared) asks it in other words and gets the entry's
answer, cited as the editorial team's. The public API's side: tests/e2e/test_knowledge_entries.py."""

from __future__ import annotations

from tests.e2e.browser import screenshot
from tests.widget.browsing import ask, last_answer, open_widget, wait_answered


def visitor(browser):
    """A page in a context of its own (its own storage and cookies), failing on dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))

    def on_dialog(dialog):
        page.errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def test_an_entry_written_in_the_admin_answers_in_the_widget_cited_as_redaktion(
    lotse, page, browser
):
    """Last in this module: the entry it writes stays in the server's index."""
    from playwright.sync_api import expect

    server, host, _ = lotse
    first = visitor(browser)
    open_widget(first, host.base + "/")
    ask(first, "Wo kann ich mein Auto parken?")
    wait_answered(first)
    expect(last_answer(first)).to_contain_text("keine Informationen")  # the site cannot
    assert last_answer(first).locator(".srcs li").count() == 0
    first.context.close()

    page.goto(server.base + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "geheim-123")
    page.click("input[type=submit]")
    page.goto(server.base + "/admin/knowledge/knowledgeentry/add/")
    page.fill("#id_question", "Wo kann ich parken, wenn ich zum Training komme?")
    page.fill("#id_alternative_questions", "Gibt es Parkplätze an der Sporthalle?")
    page.fill(
        "#id_answer",
        "Parkplätze gibt es hinter der Sporthalle, Zufahrt über die Lindenstraße. "
        "<img src=x onerror=alert(1)>",
    )
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    entries = []
    for _attempt in range(60):  # indexed by the server's in-process worker, after the commit
        entries = page.request.get(server.base + "/api/v1/entries/").json()["results"]
        if entries and entries[0]["status"] == "indexed":
            break
        page.wait_for_timeout(500)
    assert entries[0]["status"] == "indexed"

    admin_page, page = page, visitor(browser)  # the next visitor: not logged in anywhere
    open_widget(page, host.base + "/")
    ask(page, "Gibt es Parkplätze für Autos am Training?")
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("Lindenstraße")
    expect(answer).to_contain_text("<img src=x onerror=alert(1)>")  # text, never markup
    assert answer.locator("img").count() == 0
    day = entries[0]["updated_at"][:10].split("-")
    label = f"Redaktion, {int(day[2])}.{int(day[1])}.{day[0]}"
    entry = answer.locator(".srcs li").first  # a crawled page may be quoted after it
    expect(entry).to_have_text(label)
    assert entry.locator("a").count() == 0  # plain text: no link to the host page or anywhere
    screenshot(page, "widget-knowledge-entry")
    assert page.errors == [] and admin_page.dialogs == [] and admin_page.errors == []
    page.context.close()
