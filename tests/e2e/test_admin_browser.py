"""An editor in a real browser: log in, start a crawl, watch the counters move, see it finish."""

from __future__ import annotations

import re

import pytest

from tests.crawler.sites import Site, html
from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path, screenshot
from tests.helpers import clean_env

PAGES = 25

CREATE_EDITOR = """
from django.contrib.auth.models import Group, User
from backend.sources.models import Source
user = User.objects.create_user("redaktion", password="geheim-123", is_staff=True)
user.groups.add(Group.objects.get(name="Editors"))
Source.objects.create(name="Turnverein", start_urls="{start}", download_delay=0.15,
                      concurrency_per_host=1)
"""


@pytest.fixture
def slow_site():
    routes = {"/": html("Turnverein", *(f"/seite-{i}" for i in range(PAGES)))}
    for i in range(PAGES):
        routes[f"/seite-{i}"] = html(f"Seite {i}: Kurse und Trainingszeiten im Verein")
    with Site(routes) as site:
        yield site


@pytest.fixture
def server(tmp_path, slow_site):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
        DJANGO_SETTINGS_MODULE="backend.settings.dev",
        DEBUG="false",
    )
    lotse = LotseServer(env, tmp_path / "server.log")
    assert lotse.manage("migrate", "--noinput").returncode == 0
    created = lotse.manage("shell", "-c", CREATE_EDITOR.format(start=slow_site.base + "/"))
    assert created.returncode == 0, created.stderr
    lotse.start()
    yield lotse
    lotse.stop()


def test_editor_starts_a_crawl_and_watches_it_finish(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="de-DE")
        page.goto(server.base + "/admin/login/")
        page.fill("#id_username", "redaktion")
        page.fill("#id_password", "geheim-123")
        page.click("input[type=submit]")
        expect(page.locator("#site-name")).to_be_visible()

        page.goto(server.base + "/admin/sources/source/")
        page.click("text=Turnverein")
        screenshot(page, "editor-source")
        page.click("button:has-text('Jetzt crawlen')")  # German admin: "Crawl now"

        fetched = page.locator('[data-counter="fetched"]')
        seen = set()
        for _ in range(100):
            value = int(fetched.inner_text())
            seen.add(value)
            status = page.locator('[data-field="status_display"]').inner_text()
            if 0 < value < PAGES + 1 and status == "Läuft":
                screenshot(page, "editor-crawl-running")
            if status == "Beendet":
                break
            page.wait_for_timeout(300)
        expect(page.locator('[data-field="status_display"]')).to_have_text(
            "Beendet", timeout=60_000
        )
        screenshot(page, "editor-crawl-finished")
        # Counters were read while the crawl ran: more than just "0" and the final value.
        assert len({v for v in seen if 0 < v < PAGES + 1}) >= 1, seen
        assert int(page.locator('[data-counter="new"]').inner_text()) == PAGES + 1

        page.click("a:has-text('URL-Protokoll')")
        expect(page.locator("#result_list")).to_be_visible()
        assert re.search(r"seite-\d+", page.locator("#result_list").inner_text())
        screenshot(page, "editor-per-url-log")
        browser.close()
