"""What the browser of a rendering crawl may not do (crawler.render.guard, .browser)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from crawler.config import CrawlConfig
from crawler.netguard import NetGuard
from crawler.render.browser import BrowserPool, RenderFailed
from tests.crawler.js_sites import HTML, SHELL, Target, js_site
from tests.crawler.sites import Answer
from tests.crawler.test_render import crawl_site
from tests.e2e.browser import chromium_path

pytestmark = pytest.mark.timeout(180)

LEAK = """<!doctype html><html><head><title>Leck</title></head><body><div id="root"></div>
<iframe src="{target}/frame"></iframe>
<script>
  fetch('{target}/fetch').catch(function () {{}});
  var x = new XMLHttpRequest(); x.open('GET', '{target}/xhr'); x.send();
  fetch('/bounce').catch(function () {{}});
  try {{ new WebSocket('{ws}/socket'); }} catch (e) {{}}
  window.open('{target}/popup');
  document.getElementById('root').textContent = 'Geladen';
</script></body></html>"""
METADATA = """<!doctype html><html><head><title>Metadaten</title></head><body>
<div id="app"></div><script>
  setTimeout(function () {{ location.href = 'http://169.254.169.254/latest/meta-data/'; }}, 50);
</script></body></html>"""


def test_the_browser_reaches_no_private_address_and_logs_what_it_was_refused(tmp_path):
    with Target() as target:
        ws = target.base.replace("http://", "ws://")
        extra = {
            "/": Answer(body=b'<a href="/leak">L</a> <a href="/meta">M</a>', headers=HTML),
            "/leak": Answer(body=LEAK.format(target=target.base, ws=ws).encode(), headers=HTML),
            "/meta": Answer(body=METADATA.format().encode(), headers=HTML),
            "/bounce": Answer(302, b"", {"Location": target.base + "/redirected"}),
        }
        with js_site(extra) as site:
            result, urls, _ = crawl_site(tmp_path, site, "always")
        assert target.hits == []  # nothing reached the other loopback address
    assert result.complete, result
    assert urls[site.base + "/leak"]["outcome"] == "fetched_new"
    blocked = {url: e["reason"] for url, e in urls.items() if e["outcome"] == "skipped"}
    page = f"(page {site.base}/leak)"
    # (the popup is closed before it asks for anything: it is not logged)
    for path in ("/fetch", "/xhr", "/frame", "/redirected"):
        reason = blocked[target.base + path]
        assert reason.startswith("browser_blocked: loopback: 127.0.0.2"), (path, reason)
        assert reason.endswith(page)
    assert blocked[ws + "/socket"] == f"browser_blocked: websocket {page}"
    metadata = blocked["http://169.254.169.254/latest/meta-data/"]
    assert metadata.startswith("browser_blocked: cloud_metadata: 169.254.169.254")


def test_a_page_that_never_stops_loading_fails_and_the_crawl_goes_on(tmp_path):
    stuck = SHELL.replace('src="/app.js" defer', 'src="/never.js"').format(title="Hängt")
    extra = {
        "/": Answer(body=b'<a href="/stuck">S</a> <a href="/beitrag">B</a>', headers=HTML),
        "/stuck": Answer(body=stuck.encode(), headers=HTML),
        "/never.js": Answer(body=b"", headers={"Content-Type": "text/javascript"}, delay_s=20),
    }
    with js_site(extra) as site:
        result, urls, _ = crawl_site(tmp_path, site, "auto", render_timeout_s=3)
    stuck_event = urls[site.base + "/stuck"]
    assert (stuck_event["outcome"], stuck_event["reason"]) == ("failed", "render_timeout")
    assert urls[site.base + "/beitrag"]["reason"] == "rendered: framework_root"
    assert urls[site.base + "/beitrag"]["outcome"] == "fetched_new"
    assert result.finish_reason == "finished"


def chromium_pids(pool):
    import psutil

    return [p.pid for p in psutil.Process().children(recursive=True) if "chrom" in p.name()]


def test_a_crashed_browser_fails_its_page_and_the_next_page_gets_a_new_browser():
    config = CrawlConfig(
        source_id="s",
        start_urls=("http://127.0.0.1/",),
        render="always",
        browser_path=chromium_path(),
        render_timeout_s=10,
    )
    body = b"<html><body><p id=t></p><script>t.textContent='ok '+1</script></body></html>"
    slow = b"<html><body><script>fetch('data:,x'); while (true) {}</script></body></html>"

    async def scenario():
        pool = BrowserPool(config, NetGuard(["127.0.0.1/32"]))
        try:
            first = await pool.render("http://127.0.0.1/a", body, {"content-type": "text/html"})
            rendering = asyncio.ensure_future(
                pool.render("http://127.0.0.1/b", slow, {"content-type": "text/html"})
            )
            await asyncio.sleep(1.5)
            for pid in chromium_pids(pool):
                os.kill(pid, signal.SIGKILL)
            with pytest.raises(RenderFailed) as failed:
                await rendering
            after = await pool.render("http://127.0.0.1/c", body, {"content-type": "text/html"})
            return first, failed.value.reason, after, pool.started
        finally:
            await pool.close()

    first, reason, after, started = asyncio.run(scenario())
    assert "ok 1" in first.html and "ok 1" in after.html
    assert reason == "browser_crashed"
    assert started == 2


def test_a_page_that_loops_forever_in_script_or_dialogs_fails_in_time():
    config = CrawlConfig(
        source_id="s",
        start_urls=("http://127.0.0.1/",),
        render="always",
        browser_path=chromium_path(),
        render_timeout_s=3,
    )
    html = {"content-type": "text/html"}
    busy = b"<html><body><script>window.onload = function () { while (true) {} };</script>"
    alerts = b"<html><body><script>while (true) { alert('!'); }</script></body></html>"
    fine = b"<html><body><p id=t></p><script>t.textContent = 'ok ' + 2</script></body></html>"

    async def scenario():
        pool = BrowserPool(config, NetGuard(["127.0.0.1/32"]))
        reasons = []
        try:
            for body in (busy, alerts):
                try:
                    await pool.render("http://127.0.0.1/x", body, html)
                except RenderFailed as exc:
                    reasons.append(exc.reason)
            after = await pool.render("http://127.0.0.1/y", fine, html)
        finally:
            await pool.close()
        return reasons, after

    reasons, after = asyncio.run(scenario())
    assert reasons == ["render_timeout", "render_timeout"]
    assert "ok 2" in after.html


def test_no_cookie_outlives_the_crawl_of_its_source(tmp_path):
    hours = Answer(
        body=b'{"text": "Sprechstunde"}',
        headers={"Content-Type": "application/json", "Set-Cookie": "visitor=1; Max-Age=86400"},
    )
    with js_site({"/api/hours.json": hours}) as site:
        crawl_site(tmp_path / "a", site, "always")
        crawl_site(tmp_path / "b", site, "always", source_id="src-2")
        asked = [headers for path, headers in site.requests if path == "/api/hours.json"]
    assert len(asked) == 2
    assert [h.get("Cookie") for h in asked] == [None, None]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/x", None),
        ("data:text/plain,x", None),
        ("blob:http://127.0.0.1/abc", None),
        ("file:///etc/passwd", "scheme_not_allowed: file"),
        ("chrome://settings", "scheme_not_allowed: chrome"),
        ("http://169.254.169.254/latest", "cloud_metadata: 169.254.169.254"),
        ("http://[::1]:80/", "loopback: ::1"),
        ("http://10.0.0.1/", "private: 10.0.0.1"),
        ("http://127.0.0.1:99999/", "invalid_url"),
    ],
)
def test_the_guard_of_browser_requests(url, reason):
    from crawler.render.guard import check_request

    refusal = check_request(NetGuard(["127.0.0.1/32"]), url)
    assert (refusal.reason if refusal else None) == reason


def test_a_huge_dom_fails_and_the_browser_is_restarted_after_its_pages():
    config = CrawlConfig(
        source_id="s",
        start_urls=("http://127.0.0.1/",),
        render="always",
        browser_path=chromium_path(),
        max_response_bytes=200_000,
        render_pages_per_browser=2,
    )
    html = {"content-type": "text/html"}
    huge = b"<html><body><script>document.body.textContent = 'x'.repeat(300000);</script>"
    fine = b"<html><body><p>klein</p></body></html>"

    async def scenario():
        pool = BrowserPool(config, NetGuard(["127.0.0.1/32"]))
        try:
            with pytest.raises(RenderFailed) as failed:
                await pool.render("http://127.0.0.1/huge", huge, html)
            for n in range(3):
                await pool.render(f"http://127.0.0.1/{n}", fine, html)
            return failed.value.reason, pool.started
        finally:
            await pool.close()

    reason, started = asyncio.run(scenario())
    assert reason == "too_large"
    assert started == 2  # pages 1-2 in the first browser, then a new one
