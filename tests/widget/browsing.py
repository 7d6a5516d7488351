"""What the widget tests in real Chromium share: opening the widget, asking, waiting for the
answer, the focused element, and SSE bodies for faked responses."""

from __future__ import annotations

import json

QUESTION = "Wie hoch ist der Jahresbeitrag?"
CHAT_API = "**/api/v1/chat/"


def open_widget(page, url: str):
    from playwright.sync_api import expect

    page.goto(url)
    launcher = page.locator("#lotse-chat .launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.locator("#lotse-chat .panel")).to_be_visible()
    return launcher


def ask(page, question: str) -> None:
    page.locator("#lotse-input").fill(question)
    page.locator("#lotse-input").press("Enter")


def last_answer(page):
    return page.locator("#lotse-chat .msg.bot").last


def wait_answered(page) -> None:
    from playwright.sync_api import expect

    # generous: the first answer of a server on a loaded machine loads the index
    expect(page.locator("#lotse-chat .log")).to_have_attribute("aria-busy", "false", timeout=30_000)


def active(page) -> dict:
    """The focused element inside the widget's shadow root (or the page's, if outside it)."""
    return page.evaluate(
        """() => {
          const host = document.getElementById('lotse-chat');
          const el = document.activeElement === host ? host.shadowRoot.activeElement
                                                     : document.activeElement;
          return el ? {id: el.id, cls: el.className, tag: el.tagName,
                       label: el.getAttribute('aria-label')} : {};
        }"""
    )


def sse(*events: tuple[str, object]) -> str:
    return "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in events)
