"""An editor in a real browser uploads two files at once in the German admin, sees them
indexed and reads their chunks; a visitor opens one as a citation links it."""

from __future__ import annotations

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, LotseServer, chromium_path, screenshot
from tests.helpers import clean_env
from tests.uploads.files import docx

CREATE_EDITOR = """
from django.contrib.auth.models import Group, User
user = User.objects.create_user("redaktion", password="geheim-123", is_staff=True)
user.groups.add(Group.objects.get(name="Editors"))
"""


@pytest.fixture
def server(tmp_path):
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="backend.settings.dev",
        DEBUG="false",
    )
    lotse = LotseServer(env, tmp_path / "server.log")
    lotse.env["LOTSE_PUBLIC_URL"] = lotse.base  # citations link to this server's port
    assert lotse.manage("migrate", "--noinput").returncode == 0
    created = lotse.manage("shell", "-c", CREATE_EDITOR)
    assert created.returncode == 0, created.stderr
    lotse.start()
    yield lotse
    lotse.stop()


def test_an_editor_uploads_two_files_at_once_and_reads_their_chunks(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    kurs = tmp_path / "yogakurs.docx"
    kurs.write_bytes(docx(("Yogakurs", ["Der Yogakurs beginnt am 3. März um 18 Uhr."])))
    ordnung = tmp_path / "hausordnung.md"
    ordnung.write_text("# Hausordnung\n\nDie Halle schließt um 22 Uhr.\n", encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="de-DE")
        page.goto(server.base + "/admin/login/")
        page.fill("#id_username", "redaktion")
        page.fill("#id_password", "geheim-123")
        page.click("input[type=submit]")
        expect(page.locator("#site-name")).to_be_visible()

        page.goto(server.base + "/admin/uploads/upload/")
        page.click(".object-tools a.addlink")  # "Upload hinzufügen"
        expect(page.locator("h1")).to_have_text("Dateien hochladen")
        page.set_input_files("input[name=files]", [str(kurs), str(ordnung)])
        screenshot(page, "editor-upload-form")
        page.click("input[type=submit][value=Hochladen]")
        expect(page.locator(".messagelist")).to_contain_text("2 Dateien hochgeladen")

        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(2)
        for _ in range(100):  # the in-process worker indexes them within seconds
            if rows.filter(has_text="Indexiert").count() == 2:
                break
            page.wait_for_timeout(300)
            page.reload()
        expect(rows.filter(has_text="Indexiert")).to_have_count(2)
        screenshot(page, "editor-uploads-indexed")

        rows.filter(has_text="yogakurs.docx").locator("a:has-text('Abschnitte anzeigen')").click()
        expect(page.locator("#content")).to_contain_text("Der Yogakurs beginnt am 3. März")

        page.go_back()
        rows.filter(has_text="hausordnung.md").locator("a:has-text('Abschnitte anzeigen')").click()
        with page.expect_popup() as opened:  # as a visitor opens it from a citation
            page.click("a:has-text('hausordnung.md')")
        visitor = opened.value
        expect(visitor.locator("body")).to_contain_text("Die Halle schließt um 22 Uhr.")
        assert visitor.url.endswith("/hausordnung.md") and "/files/" in visitor.url
        browser.close()
