"""The crawl child's life: its last words are read, and it never outlives its parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.child import ORPHANED_EXIT
from crawler.config import CrawlConfig
from crawler.run import _follow_child
from crawler.store import PageStoreConfig, open_page_store
from tests.crawler.sites import Site, html
from tests.crawler.test_crawl import config_for
from tests.helpers import REPO

pytestmark = pytest.mark.timeout(120)


class ExitsBetweenSelectAndPoll:
    """A child that writes its last events and exits right after the runner's select() timed
    out, while a grandchild keeps the pipe open (so no end of file ever comes): what a busy
    machine does to a crawl that ends normally."""

    def __init__(self, write_fd: int, last_words: bytes):
        self.write_fd, self.last_words, self.code = write_fd, last_words, None

    def poll(self):
        if self.code is None:
            os.write(self.write_fd, self.last_words)
            self.code = 0
        return self.code

    def wait(self):
        return 0

    def send_signal(self, sig):  # pragma: no cover - never stopped here
        raise AssertionError("not expected")


def test_what_the_child_wrote_just_before_it_exited_is_read():
    read_fd, write_fd = os.pipe()
    url = {"event": "url", "url": "https://a.example/", "outcome": "fetched_new"}
    finished = {"event": "finished", "complete": True, "finish_reason": "finished", "counts": {}}
    last_words = (json.dumps(url) + "\n" + json.dumps(finished) + "\n").encode()
    events: list[dict] = []
    try:
        result = _follow_child(
            ExitsBetweenSelectAndPoll(write_fd, last_words),
            read_fd,
            events.append,
            lambda: False,
            CrawlConfig(source_id="s", start_urls=("https://a.example/",)),
            30.0,
            1.0,
        )
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert (result.finish_reason, result.complete, result.returncode) == ("finished", True, 0)
    assert [e["event"] for e in events] == ["url", "finished"]


def test_the_lifeline_ends_a_child_whose_parent_is_gone():
    """The portable fallback on its own: end of file on stdin ends the process at once."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; from crawler.child import watch_lifeline\n"
         "watch_lifeline(); time.sleep(120)"],
        cwd=REPO,
        stdin=subprocess.PIPE,
    )  # fmt: skip
    child.stdin.close()  # what the kernel does to the parent's end when the parent dies
    assert child.wait(timeout=60) == ORPHANED_EXIT


PARENT = """
import json, sys
from crawler.config import CrawlConfig
from crawler.run import run_crawl
from crawler.store import PageStoreConfig

def deliver(event):
    print(json.dumps(event), flush=True)

run_crawl(CrawlConfig.from_json(sys.argv[1]), PageStoreConfig(**json.loads(sys.argv[2])), deliver)
"""


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_crawl_child_dies_with_its_killed_parent_and_writes_nothing_after(tmp_path):
    pages = [f"/p{i}" for i in range(40)]
    routes = {"/": html("Home", *pages)}
    for path in pages:
        routes[path] = html(path)
        routes[path].delay_s = 0.3  # slow: the crawl is far from done when its parent dies
    store_config = PageStoreConfig(url="", database="lotse", path=str(tmp_path / "ps"))
    with Site(routes) as site:
        config = config_for(site, concurrency_per_host=1, time_limit_s=120)
        parent = subprocess.Popen(
            [sys.executable, "-c", PARENT, config.to_json(), json.dumps(store_config.__dict__)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            text=True,
        )
        child_pid, fetched = None, 0
        for line in parent.stdout:
            event = json.loads(line)
            if event["event"] == "started":
                child_pid = event["pid"]
            fetched += event["event"] == "url" and event["outcome"] == "fetched_new"
            if fetched >= 3:
                break
        assert child_pid and alive(child_pid)
        parent.send_signal(signal.SIGKILL)  # no goodbye: nothing stops the child politely
        parent.wait()
        deadline = time.monotonic() + 30
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child_pid), "the crawl child outlived its parent"
        requests_at_death = len(site.requests)
        store = open_page_store(store_config)
        stored_at_death = len(store.urls_seen_for_source(config.source_id))
        time.sleep(1.0)  # a crawl still running would fetch ~3 more pages meanwhile
        assert len(site.requests) == requests_at_death
        assert len(store.urls_seen_for_source(config.source_id)) == stored_at_death
        store.close()
    assert stored_at_death < len(pages)
