"""Crawls of a script-built site with render never / auto / always (crawler.render)."""

from __future__ import annotations

import json

import pytest

from crawler.config import CrawlConfig
from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.js_sites import FROM_JSON, FROM_ROUTER, IN_ACCORDION, js_site
from tests.crawler.sites import Answer
from tests.crawler.test_crawl import LOCAL, by_url, config_for, crawl
from tests.e2e.browser import chromium_path

pytestmark = pytest.mark.timeout(180)


def config_for_base(base, **changes):
    values = dict(
        source_id="src-1",
        run_id="run-1",
        start_urls=(base + "/",),
        allowed_networks=LOCAL,
        max_depth=5,
        download_delay=0,
        concurrency_per_host=4,
        request_timeout_s=5,
        time_limit_s=120,
        log_level="WARNING",
    )
    return CrawlConfig(**{**values, **changes})


def crawl_site(tmp_path, site, render, **changes):
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "pages"))
    config = config_for(
        site, render=render, browser_path=chromium_path(), exclude_patterns=(), **changes
    )
    result, events = crawl(config, store_config)
    return result, by_url(events), store_config


def bodies(store_config, urls):
    store = open_page_store(store_config)
    try:
        return {url: (store.load_body(url) or b"").decode() for url in urls}
    finally:
        store.close()


@pytest.mark.parametrize("render", ["never", "auto", "always"])
def test_script_built_text_is_stored_only_when_rendered(tmp_path, render):
    with js_site() as site:
        result, urls, store_config = crawl_site(tmp_path, site, render)
    assert result.complete, result
    pages = {site.base + p for p in ("/", "/beitrag", "/faq")}
    text = "\\n".join(bodies(store_config, [u for u in pages if u in urls]).values())
    if render == "never":
        assert set(urls) == {site.base + "/"}  # the shell links nowhere
        assert FROM_JSON not in text
        assert urls[site.base + "/"]["reason"] == ""
    else:
        assert pages <= set(urls)
        for needle in (FROM_JSON, FROM_ROUTER, IN_ACCORDION):
            assert needle in text
        why = "always" if render == "always" else "framework_root"
        assert all(urls[u]["reason"] == f"rendered: {why}" for u in pages)
        assert all(urls[u]["outcome"] == "fetched_new" for u in pages)


def test_recrawls_render_only_what_changed(tmp_path):
    """The raw answer's conditional GET decides first; an identical raw page keeps its
    rendering until the revisit age; the rendered text's hash decides what is re-indexed."""
    home = lambda site: site.base + "/"  # noqa: E731
    scripts = ("/app.js", "/api/hours.json")
    with js_site() as site:
        crawl_site(tmp_path, site, "auto")
        site.requests.clear()
        # 1. the same site with ETags: every page a 304, nothing rendered
        _, urls, _ = crawl_site(tmp_path, site, "auto")
        assert (urls[home(site)]["outcome"], urls[home(site)]["reason"]) == (
            "unchanged",
            "not_modified",
        )
        assert not set(scripts) & set(site.paths())
        # 2. no validators: the raw page is fetched and found identical; not rendered
        site.etags = False
        site.requests.clear()
        _, urls, _ = crawl_site(tmp_path, site, "auto")
        assert urls[home(site)]["outcome"] == "unchanged"
        assert urls[home(site)]["reason"] == "rendered: framework_root; raw_unchanged"
        assert urls[home(site)]["status"] == 200
        assert not set(scripts) & set(site.paths())
        # 3. the raw page changed, its text did not: rendered, nothing to re-index
        shell = site.routes["/"]
        site.routes["/"] = Answer(body=shell.body + b"<!-- build 2 -->", headers=shell.headers)
        _, urls, store_config = crawl_site(tmp_path, site, "auto")
        assert urls[home(site)]["outcome"] == "unchanged"
        assert urls[home(site)]["reason"] == "rendered: framework_root; text_unchanged"
        # 4. the data behind an unchanged page changed: found once the rendering is older
        # than the revisit age
        site.routes["/api/hours.json"] = Answer(
            body=json.dumps({"text": "Neue Sprechzeiten ab Mai"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        _, urls, _ = crawl_site(tmp_path, site, "auto")
        assert urls[home(site)]["reason"] == "rendered: framework_root; raw_unchanged"
        _, urls, store_config = crawl_site(tmp_path, site, "auto", max_revisit_days=1e-9)
        assert urls[home(site)]["outcome"] == "fetched_changed"
        assert urls[home(site)]["reason"] == "rendered: framework_root"
        assert "Neue Sprechzeiten ab Mai" in bodies(store_config, [home(site)])[home(site)]
