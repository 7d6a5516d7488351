"""The *auto* render decision (crawler.render.heuristic), measured on real and made-up pages."""

from __future__ import annotations

import pytest

from crawler.render.heuristic import render_reason, text_of
from crawler.store import PageStoreConfig
from tests.bench.sites import SiteProcess
from tests.conftest import require_shared_data
from tests.crawler.js_sites import SHELL
from tests.crawler.test_crawl import by_url, crawl
from tests.crawler.test_render import config_for_base

PROSE = "<p>" + "Der Verein lädt alle Mitglieder herzlich zur Versammlung ein. " * 40 + "</p>"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (SHELL.format(title="App"), "framework_root"),
        (
            '<html><body><div id="app"></div><script src="/a.js"></script></body></html>',
            "framework_root",
        ),
        ('<html><body><div id="__next"></div></body></html>', "framework_root"),
        ("<html><body><div ng-app=x></div></body></html>", "framework_root"),
        (
            "<html><body><p>Hallo</p><noscript>Bitte JavaScript aktivieren</noscript></body></html>",
            "noscript_hint",
        ),
        (
            "<html><body><p>Laden …</p><script>" + "var x = 1;" * 400 + "</script></body></html>",
            "little_text",
        ),
        # server-rendered: enough text, whatever the framework marks
        (f'<html><body><div id="root">{PROSE}</div><script src=a.js></script></body></html>', ""),
        (
            f'<html><body>{PROSE}<script id="__NEXT_DATA__" type="application/json">{{}}</script></body></html>',
            "",
        ),
        # a short page without script is short, not script-built
        ("<html><body><h1>Impressum</h1><p>Verein e. V., Hauptstraße 1</p></body></html>", ""),
        (
            '<html><body><p>kurz</p><script type="application/ld+json">'
            + "{}" * 900
            + "</script></body></html>",
            "",
        ),
        (b"", ""),
    ],
)
def test_reasons(body, reason):
    assert render_reason(body.encode() if isinstance(body, str) else body) == reason


def test_visible_text_leaves_out_script_style_and_head():
    body = b"<html><head><title>T</title><style>p{}</style></head><body><p>A</p><script>x</script>B</body></html>"
    assert text_of(body) == "A B"


def test_no_aspec_page_looks_script_built():
    site = require_shared_data("sites", "aspec")
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 40
    assert {
        p.name: render_reason(p.read_bytes()) for p in pages if render_reason(p.read_bytes())
    } == {}


@pytest.mark.timeout(180)
def test_a_crawl_of_aspec_under_auto_renders_no_page(tmp_path):
    root = require_shared_data("sites", "aspec")
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "pages"))
    with SiteProcess("static", "--root", str(root.resolve())) as site:
        config = config_for_base(site.base, render="auto", browser_path="/nonexistent/chromium")
        result, events = crawl(config, store_config)
    urls = by_url(events)
    fetched = [e for e in urls.values() if e["outcome"] == "fetched_new" and e["kind"] == "html"]
    assert len(fetched) >= 30
    # a rendered page would fail here: the browser does not exist
    assert [e for e in urls.values() if "render" in e["reason"]] == []
    assert result.complete, result
