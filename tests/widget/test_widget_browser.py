"""The widget in real headless Chromium, embedded on a customer's page (another origin, so CORS
is exercised) and talking to a real Lotse server that has crawled a small site.

Without OPENAI_API_KEY Lotse answers extractively, with the same SSE events as with a model.
Failures the real server will not produce on demand (429, 500, broken streams, a dropped
network) are faked with Playwright's request routing or an in-page fetch stand-in.
"""

from __future__ import annotations

import json

from tests.e2e.browser import screenshot
from tests.widget.conftest import CONTENT

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


def test_a_question_gets_a_streamed_cited_answer_that_survives_navigation(lotse, page):
    from playwright.sync_api import expect

    server, host, content = lotse
    open_widget(page, host.base + "/")
    assert active(page)["id"] == "lotse-input"  # focus moved into the panel
    panel = page.locator("#lotse-chat .panel")
    assert panel.get_attribute("role") == "dialog"
    expect(page.locator("#lotse-chat .sugg button")).to_have_count(2)
    screenshot(page, "widget-start")

    with page.expect_request(CHAT_API) as request:
        page.locator("#lotse-chat .sugg button", has_text=QUESTION).click()
    assert request.value.post_data_json == {
        "message": QUESTION,
        "stream": True,
        "language": "de",
        "conversation_id": None,
    }
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("120 Euro")
    citation = answer.locator("a.cite")
    expect(citation).to_have_text("[1]")
    assert citation.get_attribute("href") == content.base + "/beitraege/"
    expect(answer.locator(".srcs a")).to_have_text("Mitgliedsbeiträge")
    expect(page.locator("#lotse-chat .sugg")).to_have_count(0)
    screenshot(page, "widget-answer")

    with page.expect_popup() as popup:
        citation.click()
    expect(popup.value).to_have_title("Mitgliedsbeiträge")
    popup.value.close()

    answer.locator(".rate-up").click()
    expect(answer.locator(".rate-up")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#lotse-chat [role=status]")).to_have_text("Danke für Ihre Rückmeldung.")

    # Another page of the same site: the conversation and the open panel are still there.
    page.goto(host.base + "/other/")
    expect(page.locator("#lotse-chat .panel")).to_be_visible()
    expect(last_answer(page)).to_contain_text("120 Euro")
    expect(last_answer(page).locator(".rate-up")).to_have_attribute("aria-pressed", "true")
    stored = page.evaluate("JSON.stringify(localStorage)")
    conversation = json.loads(list(json.loads(stored).values())[0])["conversationId"]
    with page.expect_request(CHAT_API) as request:
        ask(page, "Und wann ist das Kinderturnen?")
    assert request.value.post_data_json["conversation_id"] == conversation
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("Dienstag")

    page.locator("#lotse-chat header button[aria-label='Neues Gespräch']").click()
    expect(page.locator("#lotse-chat .msg")).to_have_count(1)  # the greeting
    expect(page.locator("#lotse-chat .sugg button")).to_have_count(2)
    assert page.dialogs == [] and page.errors == []


def test_answer_renders_while_it_streams_and_the_sse_parser_copes_with_any_chunking(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    # The stream arrives in awkward pieces (mid-line, CRLF split), slowly, from an in-page
    # stand-in for the chat API's response; everything else about fetch stays real.
    body = (
        'event: token\r\ndata: {"text": "Erster Teil, "}\r\n\r\n'
        ': a comment line\n\nevent: token\ndata: {"text": "zweiter **Teil** [1]."}\n\n'
        "event: sources\n"
        'data: [{"n": 1, "title": "Satzung", "url": "https://verein.example/satzung.pdf", '
        # JSON escapes keep the body ASCII: the stand-in cuts it at character positions
        '"page": 3, "snippet": "", "score": 1, "section": "\\u00a7 3 \\u203a Beitr\\u00e4ge"}]\n\n'
        'event: done\ndata: {"message_id": 9, "conversation_id": "c0ffee00-0000-4000-8000-'
        '000000000000", "outcome": "answered", "timings": {}}\n\n'
    )
    first = body.index("\r\n\r\n") + 4  # the end of the first event
    # cut mid-line, between a CR and its LF, then pause long after the first event
    cuts = [5, 30, first - 3, first, first + 20, first + 60, 200, 260, 330, len(body)]
    page.add_init_script(
        """(([body, cuts]) => {
          const real = window.fetch;
          window.fetch = (url, init) => {
            if (!String(url).includes('/api/v1/chat/') || String(url).includes('feedback'))
              return real(url, init);
            const bytes = new TextEncoder().encode(body);
            let i = 0, start = 0;
            const stream = new ReadableStream({
              pull(controller) {
                return new Promise(resolve => setTimeout(() => {
                  if (i === cuts.length) { controller.close(); return resolve(); }
                  controller.enqueue(bytes.slice(start, cuts[i])); start = cuts[i++];
                  resolve();
                }, i === 4 ? 1500 : 100));  // a long pause after the first event
              }
            });
            return Promise.resolve(new Response(stream, {
              status: 200, headers: {'Content-Type': 'text/event-stream'}}));
          };
        }"""
        f")({json.dumps([body, cuts])})"
    )
    open_widget(page, host.base + "/")
    ask(page, "Streaming?")
    answer = last_answer(page)
    expect(answer).to_contain_text("Erster Teil,")
    assert "zweiter" not in answer.inner_text()  # rendered before the rest arrived
    assert page.locator("#lotse-chat .log").get_attribute("aria-busy") == "true"
    screenshot(page, "widget-streaming")
    wait_answered(page)
    expect(answer.locator(".body")).to_have_text("Erster Teil, zweiter Teil [1].")
    expect(answer.locator("strong")).to_have_text("Teil")
    # a PDF citation opens at its page
    expect(answer.locator("a.cite")).to_have_attribute(
        "href", "https://verein.example/satzung.pdf#page=3"
    )
    expect(answer.locator(".srcs a")).to_have_text("Satzung › § 3 › Beiträge (S. 3)")
    expect(page.locator("#lotse-chat [role=status]")).to_have_text("Antwort vollständig.")


def test_xss_from_a_crawled_page_and_from_an_llm_answer_stays_text(lotse, page):
    from playwright.sync_api import expect

    server, host, content = lotse
    open_widget(page, host.base + "/")
    ask(page, "Was kostet der Vereinsausweis?")
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("5 Euro <img src=x onerror=alert(1)> und kommt per Post")
    expect(answer.locator(".srcs a")).to_have_text(CONTENT["/ausweis/"][0])  # "<b>" as text

    # A model answer full of markup, links to javascript: and hostile source titles.
    hostile = sse(
        (
            "token",
            {
                "text": "<script>alert('s')</script> **fett** [klick](javascript:alert('j')) "
                "[gut](https://example.org/x) `<b>code</b>` <img src=x onerror=alert('i')> "
                "[1] [2] [3]\n\n- <iframe src=javascript:alert('f')></iframe>\n- zwei"
            },
        ),
        (
            "sources",
            [
                {"n": 1, "title": "<img src=x onerror=alert('t')>", "url": "javascript:alert(1)"},
                {"n": 2, "title": "Satzung", "url": content.base + "/satzung.pdf", "page": 3},
                {"n": 3, "title": "data", "url": "data:text/html,<script>alert(1)</script>"},
            ],
        ),
        ("done", {"message_id": 1, "conversation_id": None, "outcome": "answered"}),
    )
    page.route(
        CHAT_API,
        lambda route: route.fulfill(
            status=200,
            body=hostile,
            headers={"Content-Type": "text/event-stream", "Access-Control-Allow-Origin": "*"},
        ),
    )
    ask(page, "Zeig mir Markup")
    wait_answered(page)
    answer = last_answer(page)
    expect(answer).to_contain_text("<script>alert('s')</script>")
    expect(answer).to_contain_text("<img src=x onerror=alert('i')>")
    expect(answer).to_contain_text("[klick](javascript:alert('j'))")
    expect(answer.locator("strong")).to_have_text("fett")
    expect(answer.locator("code")).to_have_text("<b>code</b>")
    expect(answer.locator("a", has_text="gut")).to_have_attribute("href", "https://example.org/x")
    expect(answer.locator(".body li")).to_have_count(2)
    expect(answer.locator(".srcs li")).to_have_count(1)  # javascript: and data: are dropped
    assert answer.locator("a.cite").count() == 1  # only [2] has an http(s) URL
    assert answer.locator("a.cite").get_attribute("href") == content.base + "/satzung.pdf#page=3"
    widget = page.locator("#lotse-chat")
    assert widget.locator("img, script, iframe").count() == 0
    hrefs = page.evaluate(
        "[...document.getElementById('lotse-chat').shadowRoot.querySelectorAll('a')]"
        ".map(a => a.href)"
    )
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    page.wait_for_timeout(500)  # time for any onerror handler to have fired
    screenshot(page, "widget-xss-as-text")
    assert page.dialogs == [], page.dialogs
    assert page.errors == [], page.errors


def test_keyboard_only(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    page.goto(host.base + "/")
    for _ in range(6):  # the page's own link comes first, then the launcher
        page.keyboard.press("Tab")
        if "launcher" in active(page)["cls"]:
            break
    assert "launcher" in active(page)["cls"], active(page)
    launcher = page.locator("#lotse-chat .launcher")
    assert launcher.get_attribute("aria-label") == "Chat öffnen"
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    expect(page.locator("#lotse-chat .panel")).to_be_visible()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert active(page)["id"] == "lotse-input"
    page.keyboard.type("Wann trainieren Erwachsene?")
    page.keyboard.press("Enter")
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("donnerstags")

    # Back from the input through the answer to its "helpful" button, rate with Space.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if "rate-up" in active(page)["cls"]:
            break
    assert active(page)["label"] == "Hilfreich"
    page.keyboard.press("Space")
    expect(last_answer(page).locator(".rate-up")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "widget-keyboard")

    page.keyboard.press("Escape")
    expect(page.locator("#lotse-chat .panel")).to_be_hidden()
    assert "launcher" in active(page)["cls"]
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")  # and open again
    expect(page.locator("#lotse-chat .panel")).to_be_visible()
    assert active(page)["id"] == "lotse-input"


def test_mobile_viewport_is_full_screen(lotse, browser):
    from playwright.sync_api import expect

    server, host, _ = lotse
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, locale="de-DE"
    )
    page = context.new_page()
    open_widget(page, host.base + "/")
    box = page.locator("#lotse-chat .panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 667}, box
    expect(page.locator("#lotse-chat .launcher")).to_be_hidden()
    assert page.locator("#lotse-chat .panel").get_attribute("aria-modal") == "true"
    ask(page, QUESTION)
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("120 Euro")
    screenshot(page, "widget-mobile")
    # the page behind is covered, so the keyboard stays in the panel
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "lotse-chat"
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.id") == "lotse-chat"
    page.locator("#lotse-chat header button[aria-label='Chat schließen']").click()
    expect(page.locator("#lotse-chat .launcher")).to_be_visible()
    context.close()


def test_hostile_host_css_does_not_break_the_widget(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    launcher = open_widget(page, host.base + "/hostile/")
    page.mouse.move(600, 10)  # off the launcher, which grows a little on hover
    page.wait_for_timeout(300)
    box = launcher.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (60, 60), box
    panel = page.locator("#lotse-chat .panel").bounding_box()
    assert panel["width"] == 380 and panel["x"] + 380 == 1280 - 20, panel
    styles = page.evaluate(
        """() => {
          const root = document.getElementById('lotse-chat').shadowRoot;
          const input = getComputedStyle(root.getElementById('lotse-input'));
          const title = getComputedStyle(root.getElementById('lotse-title'));
          const host = getComputedStyle(document.getElementById('lotse-chat'));
          return {input: input.fontSize, title: title.fontSize, family: title.fontFamily,
                  z: host.zIndex, position: host.position};
        }"""
    )
    assert styles["input"] == "15px" and styles["title"] == "17px", styles
    assert "Comic" not in styles["family"]
    assert styles["z"] == "2147483647" and styles["position"] == "fixed"
    ask(page, QUESTION)
    wait_answered(page)
    expect(last_answer(page)).to_contain_text("120 Euro")
    # the widget is on top: the point at the centre of the send button hits the widget
    send = page.locator("#lotse-chat .send").bounding_box()
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).id",
        [send["x"] + send["width"] / 2, send["y"] + send["height"] / 2],
    )
    assert on_top == "lotse-chat"
    screenshot(page, "widget-hostile-css")
    assert page.dialogs == [] and page.errors == []


def test_the_widget_leaves_the_host_page_alone_and_speaks_english(lotse, page):
    from playwright.sync_api import expect

    server, host, _ = lotse
    page.goto(host.base + "/en/")
    launcher = page.locator("#lotse-chat .launcher")
    expect(launcher).to_have_attribute("aria-label", "Open chat")
    # no style sheet or element of the widget outside its shadow root
    assert page.evaluate("document.styleSheets.length") == 0
    assert page.evaluate("document.body.children.length") == 6  # h1 p a div script + widget
    # a light brand colour gets dark text (contrast), set with data-color="#fde047"
    colours = page.evaluate(
        "(() => { const s = getComputedStyle(document.getElementById('lotse-chat')"
        ".shadowRoot.querySelector('.launcher')); return [s.backgroundColor, s.color]; })()"
    )
    assert colours == ["rgb(253, 224, 71)", "rgb(17, 17, 17)"]
    launcher.click()
    expect(page.locator("#lotse-chat .msg.bot").first).to_have_text(
        "Hello! Ask me anything about our website."
    )
    ask(page, "Jahresbeitrag for adults?")  # the site is German
    wait_answered(page)
    expect(last_answer(page).locator("a.cite")).to_have_count(1)


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
