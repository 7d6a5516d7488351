"""Answers a visitor can read, in real Chromium: gender stars stay literal, a long answer
opens at its start, thumbs-down asks for a comment, a page that may not use the chat says
so neutrally, the demo page shows the editors' texts, and a language model that cannot be
reached still leaves an answer with citations (through the widget and the public API).

The server is configured with a language model at a port where nothing listens, so every
real answer here is the extractive fallback.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.crawler.sites import Site
from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path, free_port, screenshot
from tests.helpers import clean_env
from tests.widget.browsing import ask, last_answer, open_widget, sse, wait_answered
from tests.widget.conftest import CONTENT, CREATE_ADMIN, content_page, host_page

CONTACTS = (
    "Kontakt",
    "Alle Bürger*innen sind willkommen. Unsere Ansprechpartner*innen sind aktuell: Dr. Anna "
    "Schmidt und Prof. Dr. Jan Meier. Der Verein wurde ca. 1990 gegründet.",
)
EDITOR_TEXTS = """
from backend.chat.models import ChatTexts
ChatTexts.objects.update_or_create(language="de", defaults={
    "greeting": "Willkommen beim Turnverein! Was möchten Sie wissen?",
    "suggested_questions": "Wer sind die Ansprechpartner*innen?\\nWann ist Kinderturnen?",
})
"""
COMMENTS = """
from backend.chat.models import Feedback
print([(f.rating, f.comment) for f in Feedback.objects.all()])
"""


@pytest.fixture(scope="module")
def trust(tmp_path_factory):
    chromium_path()
    tmp = tmp_path_factory.mktemp("widget-trust")
    pages = {**CONTENT, "/kontakt/": CONTACTS}
    with Site({}) as content, Site({}) as host:
        content.routes.update({path: _page(path, pages) for path in pages})
        env = clean_env(
            LOTSE_VAR_DIR=str(tmp / "var"),
            CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
            WEBSITE_HOST=host.base,
            DJANGO_SETTINGS_MODULE="backend.settings.dev",
            DEBUG="false",
            CHAT_RATE_LIMIT_PER_IP="1000",
            CHAT_RATE_LIMIT_PER_CONVERSATION="1000",
            # a language model is configured, but nothing listens at its port
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        )
        server = LotseServer(env, tmp / "server.log")
        for command in (("migrate", "--noinput"), ("shell", "-c", CREATE_ADMIN)):
            done = server.manage(*command)
            assert done.returncode == 0, done.stderr
        crawled = server.manage("crawl", content.base + "/", "--wait")
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr
        host.routes["/"] = host_page(server.base)
        # the content site embeds the widget too, but its origin is not in WEBSITE_HOST
        content.routes["/embed/"] = host_page(server.base)
        server.start()
        try:
            yield server, host, content
        finally:
            server.stop()


def _page(path: str, pages: dict):
    import html as html_module

    from tests.crawler.sites import Answer

    if path in CONTENT:
        answer = content_page(path)
    else:
        title, text = pages[path]
        body = (
            f"<!doctype html><html lang='de'><head><title>{title}</title></head><body><main>"
            f"<h1>{title}</h1><p>{html_module.escape(text)}</p></main></body></html>"
        )
        answer = Answer(body=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    if path == "/":  # the start page links the contact page too
        answer.body = answer.body.replace(b"</nav>", b'<a href="/kontakt/">Kontakt</a></nav>')
    return answer


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_unreachable_model_still_answers_with_citations_and_gender_stars_stay(trust, page):
    from playwright.sync_api import expect

    server, host, content = trust
    open_widget(page, host.base + "/")
    ask(page, "Wer sind die Ansprechpartner*innen?")
    wait_answered(page)
    answer = last_answer(page)
    body = answer.locator(".body")
    expect(body).to_contain_text("Der Sprachassistent ist gerade nicht erreichbar")
    # the whole sentence, not cut at "Dr.", with its gender star, not turned into italics
    expect(body).to_contain_text(
        "Unsere Ansprechpartner*innen sind aktuell: Dr. Anna Schmidt und Prof. Dr. Jan Meier."
    )
    assert answer.locator("em, strong").count() == 0
    expect(answer.locator("a.cite")).to_have_attribute("href", content.base + "/kontakt/")
    expect(answer.locator(".srcs a")).to_have_text("Kontakt")
    assert answer.locator(".error").count() == 0
    screenshot(page, "widget-fallback-answer")
    assert page.errors == []


def test_gender_star_words_stay_literal_while_real_emphasis_renders(trust, page):
    from playwright.sync_api import expect

    server, host, _ = trust
    text = "Alle Bürger*innen und Ansprechpartner*innen sind *herzlich* willkommen, **alle**."
    page.route(
        "**/api/v1/chat/",
        lambda route: route.fulfill(
            status=200,
            body=sse(("token", {"text": text}), ("sources", []), ("done", {"message_id": 5})),
            headers={"Content-Type": "text/event-stream", "Access-Control-Allow-Origin": "*"},
        ),
    )
    open_widget(page, host.base + "/")
    ask(page, "Wer ist willkommen?")
    wait_answered(page)
    body = last_answer(page).locator(".body")
    expect(body).to_have_text(
        "Alle Bürger*innen und Ansprechpartner*innen sind herzlich willkommen, alle."
    )
    expect(body.locator("em")).to_have_text("herzlich")
    expect(body.locator("strong")).to_have_text("alle")


def test_a_long_answer_opens_at_its_start(trust, page):
    from playwright.sync_api import expect

    server, host, _ = trust
    lines = "\n".join(
        f"- Punkt {i}: ein Satz, der Platz braucht, damit es lang wird [1]." for i in range(40)
    )
    events = sse(
        ("token", {"text": "Der Anfang der Antwort.\n\n"}),
        ("token", {"text": lines}),
        ("sources", [{"n": 1, "title": "Quelle", "url": "https://verein.example/q/"}]),
        ("done", {"message_id": 6, "conversation_id": None, "outcome": "answered"}),
    )
    page.route(
        "**/api/v1/chat/",
        lambda route: route.fulfill(
            status=200,
            body=events,
            headers={"Content-Type": "text/event-stream", "Access-Control-Allow-Origin": "*"},
        ),
    )
    open_widget(page, host.base + "/")
    ask(page, "Erzähl mir alles")
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("Punkt 39")
    log = page.locator("#lotse-chat .log")
    log_box, answer_box = log.bounding_box(), answer.bounding_box()
    assert answer_box["height"] > log_box["height"]  # really longer than the log
    # the answer's first line is at the top of the log, not scrolled past
    assert log_box["y"] <= answer_box["y"] <= log_box["y"] + 40, (log_box, answer_box)
    expect(answer.get_by_text("Der Anfang der Antwort.")).to_be_in_viewport()
    expect(answer.locator(".srcs")).not_to_be_in_viewport()
    screenshot(page, "widget-long-answer-start")


def test_thumbs_down_asks_for_a_comment_that_reaches_the_server(trust, page):
    from playwright.sync_api import expect

    server, host, _ = trust
    open_widget(page, host.base + "/")
    ask(page, "Wie hoch ist der Jahresbeitrag?")
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("120 Euro")
    answer.locator(".rate-down").click()
    box = answer.locator(".comment textarea")
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    expect(answer.locator(".comment label")).to_have_text(
        "Was hat gefehlt oder war falsch? (freiwillig)"
    )
    box.fill("Der Beitrag für Familien fehlt.")
    answer.locator(".comment button").click()
    expect(answer.locator(".thanks")).to_have_text("Danke, wir sehen uns das an.")
    expect(answer.locator(".comment")).to_have_count(0)
    stored = server.manage("shell", "-c", COMMENTS)
    assert "(-1, 'Der Beitrag für Familien fehlt.')" in stored.stdout, stored.stdout + stored.stderr
    screenshot(page, "widget-comment")


def test_a_page_that_may_not_use_the_chat_says_so_neutrally(trust, page):
    from playwright.sync_api import expect

    server, host, content = trust
    open_widget(page, content.base + "/embed/")  # not in WEBSITE_HOST
    panel = page.locator("#lotse-chat .panel")
    expect(panel).to_contain_text("Der Chat ist auf dieser Seite nicht verfügbar.")
    expect(page.locator("#lotse-input")).to_be_disabled()
    expect(page.locator("#lotse-chat .send")).to_be_disabled()
    assert "nicht erreichbar" not in panel.inner_text()
    expect(page.locator("#lotse-chat .sugg")).to_have_count(0)
    screenshot(page, "widget-origin-not-allowed")


def test_demo_page_shows_the_editors_greeting_and_suggestions(trust, page):
    from playwright.sync_api import expect

    server, _, _ = trust
    done = server.manage("shell", "-c", EDITOR_TEXTS)
    assert done.returncode == 0, done.stderr
    open_widget(page, server.base + "/demo/")
    expect(page.locator("#lotse-chat .msg.bot").first).to_have_text(
        "Willkommen beim Turnverein! Was möchten Sie wissen?"
    )
    buttons = page.locator("#lotse-chat .sugg button")
    expect(buttons).to_have_text(["Wer sind die Ansprechpartner*innen?", "Wann ist Kinderturnen?"])
    assert "Jahresbeitrag" not in page.content()  # no hard-coded sports-club questions
    buttons.first.click()
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("Dr. Anna Schmidt und Prof. Dr. Jan Meier.")


def test_public_api_answers_with_citations_when_the_model_is_unreachable(trust):
    server, _, content = trust
    request = urllib.request.Request(
        server.base + "/api/v1/chat/",
        data=json.dumps({"message": "Wie hoch ist der Jahresbeitrag?", "stream": False}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
        assert response.status == 200
    assert answer["outcome"] == "answered_fallback" and answer["error"] is None
    assert "120 Euro" in answer["answer"]
    assert answer["sources"][0]["url"] == content.base + "/beitraege/"
