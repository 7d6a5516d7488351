"""The crawl's shared state reaches every component as the one object (crawler.state)."""

from __future__ import annotations

import io
import threading

import pytest
from scrapy.utils.test import get_crawler

from crawler.config import CrawlConfig
from crawler.events import EventSink
from crawler.middlewares import NetGuardMiddleware, RedirectScopeMiddleware
from crawler.politeness import HostPolitenessMiddleware
from crawler.state import STATE_SETTING, CrawlState, CrawlStateMissing


def test_every_component_gets_the_one_state():
    config = CrawlConfig(source_id="s", start_urls=("https://verein.example/",))
    sink = EventSink(io.StringIO(), source_id="s", run_id="r")
    # A store holds a connection and a lock, which cannot be copied: neither may the state be.
    store = threading.Lock()
    state = CrawlState.build(config, store, sink)  # type: ignore[arg-type]
    crawler = get_crawler(settings_dict={STATE_SETTING: state})  # Scrapy copies its settings
    components = [
        NetGuardMiddleware.from_crawler(crawler),
        RedirectScopeMiddleware.from_crawler(crawler),
        HostPolitenessMiddleware.from_crawler(crawler),
    ]
    assert all(component.state is state for component in components)


def test_a_crawl_without_state_says_so():
    with pytest.raises(CrawlStateMissing):
        CrawlState.of(get_crawler())
