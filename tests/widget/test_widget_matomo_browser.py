"""Matomo events in real Chromium (backend/widget/src/5-matomo.js): a host page that defines
``_paq = []`` gets ``['trackEvent', 'Lotse', action, name]`` for opened, question asked,
answered / not answered / handed off and feedback; the question's words only when the script
tag allows them; no ``_paq`` (or no ``data-matomo``) and nothing happens, without an error."""

from __future__ import annotations

import json

import pytest

from tests.widget.browsing import QUESTION, ask, last_answer, open_widget, wait_answered
from tests.widget.conftest import host_page

UNKNOWN = "Wie heißt der Hund des Kassenwarts auf dem Mond?"
PERSON = "Ich möchte mit einem Menschen sprechen"
PAQ = "<script>var _paq = window._paq = [];</script>"


@pytest.fixture(scope="module")
def pages(lotse):
    server, host, _content = lotse
    on = 'data-matomo="on"'
    host.routes.update(
        {
            "/matomo/": host_page(server.base, style=PAQ, attrs=on),
            "/matomo-questions/": host_page(
                server.base, style=PAQ, attrs=on + ' data-matomo-questions="on"'
            ),
            "/matomo-no-paq/": host_page(server.base, attrs=on),
            "/matomo-off/": host_page(server.base, style=PAQ),
        }
    )
    return host.base


def events(page) -> list[list]:
    return page.evaluate("() => window._paq.slice()")


def ask_and_wait(page, question: str) -> None:
    ask(page, question)
    wait_answered(page)


def test_events_arrive_without_the_question_by_default(pages, page):
    from playwright.sync_api import expect

    open_widget(page, pages + "/matomo/")
    assert events(page) == [["trackEvent", "Lotse", "opened"]]
    ask_and_wait(page, QUESTION)
    last_answer(page).locator(".rate-up").click()
    expect(last_answer(page).locator(".rate-up")).to_have_attribute("aria-pressed", "true")
    ask_and_wait(page, UNKNOWN)
    ask_and_wait(page, PERSON)
    expect(page.locator("#lotse-chat form.handoff")).to_be_visible()
    assert events(page) == [
        ["trackEvent", "Lotse", "opened"],
        ["trackEvent", "Lotse", "question asked"],
        ["trackEvent", "Lotse", "answered"],
        ["trackEvent", "Lotse", "feedback", "up"],
        ["trackEvent", "Lotse", "question asked"],
        ["trackEvent", "Lotse", "not answered"],
        ["trackEvent", "Lotse", "question asked"],
        ["trackEvent", "Lotse", "handed off"],
    ]
    sent = json.dumps(events(page), ensure_ascii=False)
    assert "Jahresbeitrag" not in sent and "Hund" not in sent and "Menschen" not in sent
    assert page.errors == [] and page.dialogs == []


def test_the_question_is_sent_when_the_tag_allows_it(pages, page):
    from playwright.sync_api import expect

    open_widget(page, pages + "/matomo-questions/")
    ask_and_wait(page, UNKNOWN)
    last_answer(page).locator(".rate-down").click()
    page.wait_for_function("() => window._paq.length === 4")
    # the comment after a thumbs-down is no second rating
    page.locator("#lotse-chat .comment-text").fill("Das hilft nicht")
    page.locator("#lotse-chat .comment button").click()
    expect(page.locator("#lotse-chat .thanks")).to_be_visible()
    assert events(page) == [
        ["trackEvent", "Lotse", "opened"],
        ["trackEvent", "Lotse", "question asked", UNKNOWN],
        ["trackEvent", "Lotse", "not answered", UNKNOWN],
        ["trackEvent", "Lotse", "feedback", "down"],
    ]
    assert page.errors == []


@pytest.mark.parametrize("path", ["/matomo-no-paq/", "/matomo-off/"])
def test_no_matomo_no_events_and_no_error(pages, page, path):
    from playwright.sync_api import expect

    open_widget(page, pages + path)
    ask_and_wait(page, QUESTION)
    expect(last_answer(page)).to_contain_text("120")
    last_answer(page).locator(".rate-up").click()
    expect(last_answer(page).locator(".rate-up")).to_have_attribute("aria-pressed", "true")
    paq = page.evaluate("() => window._paq === undefined ? null : window._paq.slice()")
    assert paq == (None if path == "/matomo-no-paq/" else [])
    assert page.errors == [] and page.dialogs == []
