"""Live chat in two real Chromium pages: a visitor gets "I don't know", asks for a person, a
supporter with the inbox open takes over and they talk; the supporter ends it.

Once on the embedded default (one `manage.py serve`), once with two backend processes on
MariaDB and Redis, the visitor's widget talking to one and the supporter's inbox to the
other: nothing of the chat lives in one process's memory."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.crawler.sites import Site
from tests.e2e.browser import LotseServer, chromium_path
from tests.helpers import clean_env
from tests.widget.browsing import ask, last_answer, open_widget, wait_answered
from tests.widget.conftest import host_page
from tests.widget.live_scenario import (
    UNKNOWN,
    live_chat,
    make_supporter,
    open_inbox,
    supporter_leaves,
)


@pytest.fixture
def supporter_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_live_chat_on_the_embedded_default(lotse, page, supporter_page):
    server, host, _content = lotse
    make_supporter(server)
    live_chat(page, supporter_page, host=host.base, supporter_base=server.base, name="embedded")


def test_a_supporter_gone_mid_chat_puts_the_visitor_back_to_waiting_after_a_page_change(
    lotse, page, supporter_page
):
    from playwright.sync_api import expect

    server, host, _content = lotse
    make_supporter(server)
    open_inbox(supporter_page, server.base)
    open_widget(page, host.base + "/")
    ask(page, UNKNOWN)
    wait_answered(page)
    last_answer(page).locator("button.offer").click()
    supporter_page.locator("#inbox-waiting .chat button.take").click()
    status = page.locator("#lotse-chat .msg.bot.live-status").last
    expect(status).to_have_text("Chat aktiv mit Sandra", timeout=15_000)
    page.goto(host.base + "/other/")  # another page of the site: the same chat goes on
    status = page.locator("#lotse-chat .msg.bot.live-status").last
    expect(status).to_have_text("Chat aktiv mit Sandra")

    supporter_page.close()  # the browser closes: no more heartbeats
    supporter_leaves(server)
    expect(status).to_have_text("Warte auf eine Mitarbeiterin / einen Mitarbeiter…", timeout=15_000)
    assert page.errors == []


def _mariadb_database(url: str) -> tuple[str, str]:
    """A fresh test_lotse_* database for the two processes: (its URL, its name)."""
    from urllib.parse import urlsplit

    import MySQLdb

    parts = urlsplit(url)
    name = f"test_lotse_live_{uuid.uuid4().hex[:8]}"
    db = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username,
        passwd=parts.password or "",
    )  # fmt: skip
    db.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    db.close()
    return parts._replace(path=f"/{name}").geturl(), name


def _drop(url: str, name: str) -> None:
    from urllib.parse import urlsplit

    import MySQLdb

    parts = urlsplit(url)
    db = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username,
        passwd=parts.password or "",
    )  # fmt: skip
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    db.close()


@pytest.mark.services
def test_live_chat_across_two_processes_on_mariadb_and_redis(
    tmp_path, redis_url, page, supporter_page
):
    chromium_path()
    mariadb = os.environ.get("LOTSE_TEST_MARIADB_URL")
    if not mariadb:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true needs LOTSE_TEST_MARIADB_URL (.ci/run creates the login)")
        pytest.skip("no LOTSE_TEST_MARIADB_URL")
    database, name = _mariadb_database(mariadb)
    servers: list[LotseServer] = []
    try:
        with Site({}) as host:
            for n in range(2):  # own var folders: the embedded stores are per process
                env = clean_env(
                    LOTSE_VAR_DIR=str(tmp_path / f"var{n}"),
                    DATABASE_URL=database,
                    REDIS_URL=redis_url,
                    WEBSITE_HOST=host.base,
                    DJANGO_SETTINGS_MODULE="backend.settings.dev",
                    DEBUG="false",
                    CHAT_RATE_LIMIT_PER_IP="1000",
                    CHAT_RATE_LIMIT_PER_CONVERSATION="1000",
                )
                servers.append(LotseServer(env, tmp_path / f"server{n}.log"))
            migrated = servers[0].manage("migrate", "--noinput")
            assert migrated.returncode == 0, migrated.stderr
            make_supporter(servers[0])
            host.routes["/"] = host_page(servers[0].base)
            for server in servers:
                server.start()
            live_chat(
                page, supporter_page, host=host.base, supporter_base=servers[1].base, name="two"
            )
    finally:
        for server in servers:
            server.stop()
        _drop(mariadb, name)
