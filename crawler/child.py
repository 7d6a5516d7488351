"""The crawl child process: ``python -m crawler.run`` runs this (see crawler.run).

It reads its configuration as one JSON line on stdin. Started by ``run_crawl`` it gets
``--lifeline``: stdin then stays open as long as the parent lives, and end of file means the
parent died (killed worker, ``kill -9`` of the server), so the child exits at once instead of
crawling on and writing the page store for a run nobody records. On Linux the kernel is
asked too (``PR_SET_PDEATHSIG``); the lifeline also works where that does not exist.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import logging
import os
import signal
import sys
import threading
from typing import Any, TextIO

from crawler.config import CrawlConfig
from crawler.store import PageStoreConfig

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Exit code of a crawl child whose parent died (nobody reads it; it shows in ps and tests).
ORPHANED_EXIT = 70


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux), and leave at once
    if the parent died before that was in place."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            logger.debug("prctl(PR_SET_PDEATHSIG) is not available")
    if os.getppid() != parent_pid:
        os._exit(ORPHANED_EXIT)


def watch_lifeline(fd: int = 0) -> threading.Thread:
    """End this process the moment ``fd`` (stdin, held open by the parent) reaches end of
    file: the parent is gone. ``os._exit``: no clean-up, no further write to the page store."""

    def watch() -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                os._exit(ORPHANED_EXIT)

    thread = threading.Thread(target=watch, name="lotse-lifeline", daemon=True)
    thread.start()
    return thread


def crawl_in_this_process(
    config: CrawlConfig, page_store_config: PageStoreConfig, stream: TextIO
) -> None:
    """Run the spider here (or, for a MediaWiki source, the wiki crawl of
    crawler.mediawiki.crawl); only ever in a fresh process (the reactor starts once)."""
    if config.mediawiki is not None:
        _crawl_wiki(config, page_store_config, stream)
        return
    from scrapy.crawler import CrawlerProcess

    from crawler.events import EventSink
    from crawler.settings import scrapy_settings
    from crawler.spiders.site import SiteSpider
    from crawler.state import STATE_SETTING, CrawlState
    from crawler.store import open_page_store

    store = open_page_store(page_store_config)
    try:
        store.ensure_indexes()
        sink = EventSink(stream, source_id=config.source_id, run_id=config.run_id)
        # One state for the spider and every middleware (they read it from the settings).
        state = CrawlState.build(config, store, sink)
        process = CrawlerProcess({**scrapy_settings(config), STATE_SETTING: state})
        process.crawl(SiteSpider, state=state)
        process.start()  # blocks; SIGTERM/SIGINT close the spider gracefully
    finally:
        store.close()


def _crawl_wiki(config: CrawlConfig, page_store_config: PageStoreConfig, stream: TextIO) -> None:
    from crawler.events import EventSink
    from crawler.mediawiki.crawl import crawl_wiki
    from crawler.store import open_page_store

    store = open_page_store(page_store_config)
    try:
        store.ensure_indexes()
        crawl_wiki(
            config, store, EventSink(stream, source_id=config.source_id, run_id=config.run_id)
        )
    finally:
        store.close()


# Settings naming the components a crawl loads: (dicts of) import paths.
_COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "DOWNLOAD_HANDLERS",
    "DOWNLOADER",
    "SCHEDULER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "SCHEDULER_START_MEMORY_QUEUE",
    "DUPEFILTER_CLASS",
    "STATS_CLASS",
    "LOG_FORMATTER",
    "REQUEST_FINGERPRINTER_CLASS",
    "ROBOTSTXT_PARSER",
    "TWISTED_DNS_RESOLVER",
    "ITEM_PROCESSOR",
    "REFERRER_POLICY",
)


def preload_components(settings: dict[str, Any]) -> None:
    """Import every component that ``settings`` (with Scrapy's defaults) name."""
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    merged = Settings(settings)
    paths: set[str] = set()
    for name in _COMPONENT_SETTINGS:
        for value in (merged.get(name), merged.get(f"{name}_BASE")):
            if isinstance(value, str):
                paths.add(value)
            elif hasattr(value, "items"):
                # keys are import paths, or URL schemes (DOWNLOAD_HANDLERS)
                named = (*value.keys(), *value.values())
                paths.update(p for p in named if isinstance(p, str) and "." in p)
    for path in sorted(paths):
        try:
            load_object(path)
        except Exception:  # optional components (e.g. brotli, s3) may not import
            logger.debug("not preloaded: %s", path)


def _preload() -> None:
    """Import what a crawl needs before its configuration arrives (a warm spare): Lotse's
    modules and every component its Scrapy settings name. The HTTP download handler alone
    takes ~0.1 s to import, most of a small site's recrawl if it were left to the crawl."""
    import crawler.middlewares
    import crawler.politeness
    import crawler.resolver
    import crawler.spiders.site
    import crawler.state
    import crawler.store  # noqa: F401
    from crawler.config import CrawlConfig
    from crawler.settings import scrapy_settings

    settings = scrapy_settings(CrawlConfig(source_id="warm", start_urls=("https://warm.invalid/",)))
    preload_components(settings)
    # Both page stores' client libraries (open_page_store imports them when it opens one).
    for module in ("crawler.store.sqlite", "crawler.store.mongo", "pymongo", "gridfs"):
        try:
            importlib.import_module(module)
        except ImportError:
            logger.debug("not preloaded: %s", module)
    from scrapy.settings import Settings
    from scrapy.utils.reactor import install_reactor

    reactor = Settings(settings).get("TWISTED_REACTOR")
    if reactor:
        install_reactor(reactor)  # the one CrawlerProcess would install


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument(
        "--config",
        help='JSON {"crawl": {...}, "page_store": {...}}; default: one line from stdin',
    )
    parser.add_argument(
        "--events-fd", type=int, default=None, help="file descriptor for the JSON lines"
    )
    parser.add_argument(
        "--warm", action="store_true", help="load Scrapy first, then wait for the configuration"
    )
    parser.add_argument(
        "--lifeline",
        type=int,
        default=None,
        metavar="PARENT_PID",
        help="stdin stays open while PARENT_PID lives; exit as soon as it closes",
    )
    args = parser.parse_args(argv)
    if args.lifeline is not None:
        die_with_parent(args.lifeline)
    if args.warm:
        _preload()
    text = args.config if args.config else sys.stdin.readline()
    if not text.strip():
        return 0  # a spare that was not needed
    if args.lifeline is not None:
        watch_lifeline()
    payload = json.loads(text)
    config = CrawlConfig.from_dict(payload["crawl"])
    if config.nice:
        os.nice(config.nice)  # a warm spare learns it only now; one crawl per process
    page_store_config = PageStoreConfig(**payload["page_store"])
    fd = args.events_fd if args.events_fd is not None else payload.get("events_fd", 1)
    with os.fdopen(fd, "w", encoding="utf-8", closefd=fd > 2) as stream:
        crawl_in_this_process(config, page_store_config, stream)
    return 0


def exit_now(code: int) -> None:
    """End a crawl process whose work is done and written (store closed, events flushed)
    without tearing the interpreter down module by module: that took ~0.1 s after every
    crawl, which the worker waited for."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
