"""A real Lotse server with a crawled site, a customer's website on another origin that embeds
the widget, and a headless Chromium: the pieces of the widget's browser tests.

Everything is module-scoped: one crawl and one server for all browser tests (the embedded
stores allow one process at a time, so the crawl runs first, then the server).
"""

from __future__ import annotations

import html

import pytest

from tests.crawler.sites import Answer, Site
from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path
from tests.helpers import clean_env

XSS_TEXT = "Der Vereinsausweis kostet 5 Euro <img src=x onerror=alert(1)> und kommt per Post."

CONTENT = {
    "/": ("Turnverein Beispielstadt", "Willkommen beim Turnverein Beispielstadt."),
    "/training/": (
        "Trainingszeiten",
        "Das Kinderturnen findet jeden Dienstag von 16 bis 17 Uhr in der Sporthalle am "
        "Marktplatz statt. Erwachsene trainieren donnerstags ab 19 Uhr.",
    ),
    "/beitraege/": (
        "Mitgliedsbeiträge",
        "Der Jahresbeitrag beträgt für Erwachsene 120 Euro und für Kinder 60 Euro. "
        "Die Anmeldefrist für neue Mitglieder endet am 31. März.",
    ),
    "/ausweis/": ("Vereinsausweis <b>neu</b>", XSS_TEXT),
}


CREATE_ADMIN = """
from django.contrib.auth.models import User
User.objects.create_superuser("admin", "admin@verein.example", "geheim-123")
"""


def content_page(path: str) -> Answer:
    title, text = CONTENT[path]
    links = "".join(f'<a href="{p}">{html.escape(CONTENT[p][0])}</a> ' for p in CONTENT)
    # the payload is visible text (escaped) and a live script in the content
    body = (
        f"<!doctype html><html lang='de'><head><title>{html.escape(title)}</title></head>"
        f"<body><nav>{links}</nav><main><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(text)}</p><script>alert('crawled')</script></main></body></html>"
    )
    return Answer(body=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{style}</head>
<body><h1>{title}</h1><p>Ein Verein wie jeder andere.</p><a href="/other/">Weiter</a>
<div class="overlay">Overlay</div>
{tag}
</body></html>"""

HOSTILE_CSS = """<style>
* { all: unset !important; }
html, body, div, button, p, textarea { font-size: 48px !important; line-height: 3 !important;
  font-family: "Comic Sans MS", cursive !important; color: lime !important;
  background: magenta !important; letter-spacing: 8px !important; }
div { z-index: 2147483647 !important; position: relative !important; }
[hidden] { display: block !important; }
.overlay { display: block !important; position: fixed !important; top: 0 !important;
  left: 0 !important; width: 100px !important; height: 100px !important; }
</style>"""


def host_page(lotse: str, *, lang: str = "de", style: str = "", attrs: str = "") -> Answer:
    tag = f'<script src="{lotse}/widget/widget.js" {attrs} defer></script>'
    body = HOST_PAGE.format(lang=lang, title="Kundenseite", style=style, tag=tag)
    return Answer(body=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


def _first_question(base: str, origin: str) -> None:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{base}/api/v1/chat/",
        data=json.dumps({"message": "Wann ist Training?", "stream": False}).encode(),
        headers={"Content-Type": "application/json", "Origin": origin},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


@pytest.fixture(scope="module")
def lotse(tmp_path_factory):
    """(server, host site): Lotse with the content site crawled; the customer's site."""
    chromium_path()  # skip early (or fail under CI) without a browser
    tmp = tmp_path_factory.mktemp("widget")
    with Site({p: content_page(p) for p in CONTENT}) as content, Site({}) as host:
        env = clean_env(
            LOTSE_VAR_DIR=str(tmp / "var"),
            CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
            WEBSITE_HOST=host.base,
            DJANGO_SETTINGS_MODULE="backend.settings.dev",
            DEBUG="false",
            CHAT_RATE_LIMIT_PER_IP="1000",
            CHAT_RATE_LIMIT_PER_CONVERSATION="1000",
        )
        server = LotseServer(env, tmp / "server.log")
        migrated = server.manage("migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
        created = server.manage("shell", "-c", CREATE_ADMIN)
        assert created.returncode == 0, created.stderr
        crawled = server.manage("crawl", content.base + "/", "--wait")
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr
        suggestions = 'data-suggestions="Wie hoch ist der Jahresbeitrag?|Wann ist Training?"'
        host.routes.update(
            {
                "/": host_page(server.base, attrs=suggestions),
                "/other/": host_page(server.base, attrs=suggestions),
                "/en/": host_page(server.base, lang="en", attrs='data-color="#fde047"'),
                "/hostile/": host_page(server.base, style=HOSTILE_CSS),
            }
        )
        server.start()
        # one question before the browser's: the first one in a process loads the bundled
        # embedding model (seconds on a loaded machine), which the widget tests do not time
        _first_question(server.base, host.base)
        try:
            yield server, host, content
        finally:
            server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh context per test (its own localStorage); fails the test on any JS dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
