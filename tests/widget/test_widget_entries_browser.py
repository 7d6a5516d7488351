"""An editor's knowledge entry, written in the admin in real Chromium, answers a visitor's
question in other words in the widget, cited as the editorial team's."""

from __future__ import annotations

from tests.e2e.browser import screenshot
from tests.widget.browsing import ask, last_answer, open_widget, wait_answered


def test_an_entry_written_in_the_admin_answers_in_the_widget_cited_as_redaktion(lotse, page):
    """Last in this module: the entry it writes stays in the server's index."""
    from playwright.sync_api import expect

    server, host, _ = lotse
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
    assert page.dialogs == [] and page.errors == []
