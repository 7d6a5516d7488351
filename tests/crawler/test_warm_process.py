"""A worker's spare crawl process: loaded before it is needed, used once, then replaced."""

from __future__ import annotations

import pytest

from crawler import spare as crawl_run
from crawler.store import PageStoreConfig
from tests.crawler.sites import Site, html
from tests.crawler.test_crawl import by_url, config_for, crawl

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def warm():
    crawl_run.keep_warm()
    yield
    crawl_run.stop_warm()


def spare_pid() -> int | None:
    spare = crawl_run._spare
    return None if spare is None else spare[0].pid


def test_a_crawl_takes_the_spare_and_leaves_a_new_one(warm, tmp_path):
    store = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    with Site({"/": html("Home", "/a"), "/a": html("A")}) as site:
        first_spare = spare_pid()
        assert first_spare is not None
        result, events = crawl(config_for(site, run_id="run-1"), store)
        assert result.complete and result.returncode == 0
        assert {e["outcome"] for e in by_url(events).values()} == {"fetched_new"}
        second_spare = spare_pid()
        assert second_spare not in (None, first_spare)  # one process per crawl, a new spare

        # a spare that died while waiting is replaced by a fresh process, not used
        crawl_run._spare[0].kill()
        crawl_run._spare[0].wait()
        result, events = crawl(config_for(site, run_id="run-2"), store)
        assert result.complete
        assert {e["outcome"] for e in by_url(events).values()} == {"unchanged"}


@pytest.mark.timeout(180)
def test_stop_warm_ends_the_spare():
    crawl_run.keep_warm()
    child = crawl_run._spare[0]
    crawl_run.stop_warm()
    assert crawl_run._spare is None
    # it loaded, read an empty configuration and left (loading Scrapy took over 20 s under
    # coverage on a loaded machine: the bound only keeps a hang from lasting forever)
    assert child.wait(timeout=150) == 0
