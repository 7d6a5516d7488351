"""An editor in a real browser: import test questions, crawl, see the evaluation that followed
the crawl, run another one, read each question's rank and open the retrieval debugger."""

from __future__ import annotations

import json

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path, screenshot
from tests.helpers import clean_env

CREATE_EDITOR = """
from django.contrib.auth.models import Group, User
from backend.sources.models import Source
user = User.objects.create_user("redaktion", password="geheim-123", is_staff=True)
user.groups.add(Group.objects.get(name="Editors"))
Source.objects.create(name="Turnverein", start_urls="{start}", download_delay=0.05)
"""


@pytest.fixture
def server(tmp_path, verein_site):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
        DJANGO_SETTINGS_MODULE="backend.settings.dev",
        DEBUG="false",
    )
    lotse = LotseServer(env, tmp_path / "server.log")
    assert lotse.manage("migrate", "--noinput").returncode == 0
    created = lotse.manage("shell", "-c", CREATE_EDITOR.format(start=verein_site.base + "/"))
    assert created.returncode == 0, created.stderr
    lotse.start()
    yield lotse
    lotse.stop()


def questions_file(tmp_path, base: str):
    rows = [
        {"question": "Wann ist Kinderturnen?", "expected_url": f"{base}/training/"},
        {
            "question": "Wann findet die Mitgliederversammlung statt?",
            "expected_url": f"{base}/satzung.pdf",
            "expected_page": 1,
            "expected_passage": "einmal im Jahr im Mai",
        },
        {"question": "Wann ist das Sommerfest?", "expected_url": f"{base}/sommerfest/"},
        {"question": "Wie ist das Wetter in Paris?", "cannot_answer": True},
    ]
    path = tmp_path / "testfragen.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_editor_imports_questions_crawls_and_reads_the_evaluation(server, verein_site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
        page.goto(server.base + "/admin/login/")
        page.fill("#id_username", "redaktion")
        page.fill("#id_password", "geheim-123")
        page.click("input[type=submit]")

        page.goto(server.base + "/admin/evaluation/testquestion/")
        page.click("a:has-text('Importieren')")
        page.set_input_files("input[type=file]", str(questions_file(tmp_path, verein_site.base)))
        page.click("button:has-text('Importieren')")
        expect(page.locator(".messagelist")).to_contain_text("4 neue, 0 aktualisierte")
        screenshot(page, "editor-test-questions")

        page.goto(server.base + "/admin/sources/source/")
        page.click("text=Turnverein")
        page.click("button:has-text('Jetzt crawlen')")
        expect(page.locator('[data-field="status_display"]')).to_have_text(
            "Beendet", timeout=120_000
        )

        # the finished crawl queued an evaluation; it runs once the pages are indexed
        page.goto(server.base + "/admin/evaluation/evaluationrun/")
        for _ in range(120):
            if page.locator("#result_list td.field-status:has-text('Beendet')").count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        expect(page.locator("#result_list")).to_contain_text("Nach einem Crawl")

        page.click("button:has-text('Evaluierung jetzt starten')")
        expect(page.locator("#evaluation-results")).to_be_visible(timeout=120_000)
        rows = page.locator("#evaluation-results tbody tr")
        expect(rows).to_have_count(4)
        found = page.locator('#evaluation-results tr[data-verdict="found"]')
        expect(found).to_have_count(2)
        missing = page.locator('#evaluation-results tr[data-verdict="not_indexed"]')
        expect(missing).to_contain_text("Seite nicht im Index")
        expect(missing).to_contain_text("/sommerfest/")
        expect(page.locator('tr[data-verdict="abstained_right"]')).to_have_count(1)
        expect(page.locator('[data-figure="page_recall@5"]')).to_contain_text("100 %")
        screenshot(page, "editor-evaluation-run")
        page.locator("#evaluation-results").scroll_into_view_if_needed()
        screenshot(page, "editor-evaluation-questions")

        page.click("#evaluation-results tr:has-text('Kinderturnen') a:has-text('Suche prüfen')")
        expect(page.locator("#id_question")).to_have_value("Wann ist Kinderturnen?")
        expect(page.locator("body")).to_contain_text(f"{verein_site.base}/training/")

        page.goto(server.base + "/admin/evaluation/evaluationrun/")
        expect(page.locator("#evaluation-history polyline").first).to_be_attached()
        screenshot(page, "editor-evaluation-history")
        browser.close()
