"""Crawls of a script-built site with render never / auto / always (crawler.render)."""

from __future__ import annotations

import pytest

from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.js_sites import FROM_JSON, FROM_ROUTER, IN_ACCORDION, js_site
from tests.crawler.test_crawl import by_url, config_for, crawl
from tests.e2e.browser import chromium_path

pytestmark = pytest.mark.timeout(180)


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
