"""Run one crawl in a child process and stream its per-URL events back.

Twisted's reactor cannot be restarted, so a long-lived Celery worker never runs Scrapy in its
own process: ``run_crawl`` starts ``python -m crawler.run`` for each crawl, reads its events
from a pipe, enforces a hard time limit and stops the child on cancellation (SIGTERM first,
so Scrapy closes cleanly and reports an incomplete run; SIGKILL if it does not).

The configs travel on the child's stdin, not its command line, because a page store URL may
carry credentials and command lines are visible to every user of the machine.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from crawler.config import CrawlConfig
from crawler.store import PageStoreConfig

logger = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]
# Beyond its own time limit the child gets this long to close before it is stopped.
DEFAULT_GRACE_S = 30.0
# After SIGTERM, this long to shut down before SIGKILL.
DEFAULT_TERM_WAIT_S = 10.0
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class CrawlResult:
    """How the child ended. ``complete`` is True only for a crawl that exhausted its frontier."""

    complete: bool
    finish_reason: str
    counts: dict[str, int] = field(default_factory=dict)
    returncode: int | None = None
    events: int = 0


class CrawlError(RuntimeError):
    """The crawl child could not be started."""


def run_crawl(
    config: CrawlConfig,
    page_store_config: PageStoreConfig,
    events: str | os.PathLike[str] | EventCallback,
    *,
    cancel: CancelFlag | Callable[[], bool] | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    term_wait_s: float = DEFAULT_TERM_WAIT_S,
    python: str = sys.executable,
) -> CrawlResult:
    """Crawl ``config``'s source in a child process; block until it ends.

    ``events`` is a file path (JSON lines are appended) or a callable that receives each event
    as a dict, in order, in this thread. An exception raised by the callable stops the child
    and propagates. ``cancel`` (a threading.Event or a function) is polled twice a second.
    """
    is_cancelled = _cancel_check(cancel)
    deliver, close_sink = _event_target(events)
    spare = _take_spare(python)
    try:
        child, read_fd, child_fd = spare if spare is not None else _spawn(python)
    except OSError as exc:
        close_sink()
        raise CrawlError(f"cannot start the crawl process: {exc}") from exc
    payload = json.dumps(
        {"crawl": config.to_dict(), "page_store": asdict(page_store_config), "events_fd": child_fd}
    )
    try:
        try:
            child.stdin.write(payload)
            child.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once; _follow_child reports it as crashed
        result = _follow_child(child, read_fd, deliver, is_cancelled, config, grace_s, term_wait_s)
    except BaseException:
        # Whatever stops us (an error in the callback, Celery's time limit) stops the child.
        _stop(child, term_wait_s)
        raise
    finally:
        os.close(read_fd)
        close_sink()
        if _warm_wanted:
            keep_warm(python)  # for the next crawl, while this process waits for work
    return result


# -- a warm spare process -----------------------------------------------------------------------
#
# Starting a crawl process costs about half a second before the first request (Python, Scrapy,
# Twisted, the middlewares), which is most of a small site's recrawl. A worker that calls
# keep_warm() keeps one spare process that has loaded all that and waits on its stdin for a
# configuration; each crawl takes the spare (still one process per crawl) and starts the next.

_spare_lock = threading.Lock()
_spare: tuple[subprocess.Popen, int, int, str] | None = None  # child, read fd, child's fd, python
_warm_wanted = False


def _spawn(python: str, *, warm: bool = False) -> tuple[subprocess.Popen, int, int]:
    """A crawl child with an events pipe: (child, our read end, the write end's number)."""
    read_fd, write_fd = os.pipe()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_REPO_ROOT, env.get("PYTHONPATH")) if p)
    command = [python, "-m", "crawler.run", "--events-fd", str(write_fd)]
    try:
        child = subprocess.Popen(
            command + (["--warm"] if warm else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(write_fd,),
            env=env,
            text=True,
        )
    except OSError:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the child holds the write end now; EOF means it has exited
    return child, read_fd, write_fd


def keep_warm(python: str = sys.executable) -> None:
    """Have a spare crawl process ready from now on (after each crawl, a new one)."""
    global _spare, _warm_wanted
    _warm_wanted = True
    with _spare_lock:
        if _spare is not None and _spare[0].poll() is None:
            return
        old, _spare = _spare, None
    if old is not None:
        _discard(old)
    try:
        child, read_fd, child_fd = _spawn(python, warm=True)
    except OSError as exc:
        logger.warning("cannot start a spare crawl process: %s", exc)
        return
    with _spare_lock:
        extra, _spare = _spare, (child, read_fd, child_fd, python)
    if extra is not None:  # another thread was quicker
        _discard(extra)


def stop_warm() -> None:
    """No spare from now on; the one waiting exits."""
    global _spare, _warm_wanted
    _warm_wanted = False
    with _spare_lock:
        old, _spare = _spare, None
    if old is not None:
        _discard(old)


def _take_spare(python: str) -> tuple[subprocess.Popen, int, int] | None:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is None:
        return None
    if spare[3] != python or spare[0].poll() is not None:
        _discard(spare)  # another interpreter asked for, or it died while waiting
        return None
    return spare[:3]


def _discard(spare: tuple) -> None:
    """Let a spare go: without a configuration it exits once it has loaded (not waited for)."""
    child, read_fd = spare[0], spare[1]
    try:
        child.stdin.close()
    except OSError:
        pass
    os.close(read_fd)


atexit.register(stop_warm)


def _follow_child(
    child: subprocess.Popen,
    read_fd: int,
    deliver: EventCallback,
    is_cancelled: Callable[[], bool],
    config: CrawlConfig,
    grace_s: float,
    term_wait_s: float,
) -> CrawlResult:
    result = CrawlResult(complete=False, finish_reason="")
    deadline = time.monotonic() + config.time_limit_s + grace_s
    stop_reason = ""
    term_sent_at = 0.0
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(read_fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if not stop_reason:
                if is_cancelled():
                    stop_reason = "cancelled"
                elif now > deadline:
                    stop_reason = "time_limit"
                if stop_reason:
                    logger.info("stopping crawl of %s: %s", config.source_id, stop_reason)
                    child.send_signal(signal.SIGTERM)  # Scrapy closes the spider cleanly
                    term_sent_at = now
            elif now - term_sent_at > term_wait_s and child.poll() is None:
                logger.warning("crawl process %s ignored SIGTERM; killing it", child.pid)
                child.kill()
            if not selector.select(timeout=0.5):
                if child.poll() is not None:
                    break  # exited, and a grandchild may still hold the pipe open
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                event = _parse_line(line)
                if event is None:
                    continue
                result.events += 1
                if event.get("event") == "finished":
                    result.complete = bool(event.get("complete"))
                    result.finish_reason = str(event.get("finish_reason") or "")
                    result.counts = dict(event.get("counts") or {})
                deliver(event)
    result.returncode = child.wait()
    if stop_reason:
        result.complete, result.finish_reason = False, stop_reason
    elif not result.finish_reason:
        result.finish_reason = "crashed"  # no "finished" event: the child died early
    if result.returncode != 0:
        result.complete = False
        logger.warning(
            "crawl process of %s exited with %s (%s)",
            config.source_id,
            result.returncode,
            result.finish_reason,
        )
    return result


def _parse_line(line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except ValueError:
        logger.warning("unreadable event line from the crawl process: %r", line[:200])
        return None
    return event if isinstance(event, dict) else None


def _cancel_check(cancel: CancelFlag | Callable[[], bool] | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    return cancel


def _event_target(
    events: str | os.PathLike[str] | EventCallback,
) -> tuple[EventCallback, Callable[[], None]]:
    if callable(events):
        return events, lambda: None
    fh: TextIO = open(events, "a", encoding="utf-8")

    def write(event: dict[str, Any]) -> None:
        fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        fh.flush()

    return write, fh.close


def _stop(child: subprocess.Popen, term_wait_s: float) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=term_wait_s)
    except subprocess.TimeoutExpired:
        logger.warning("crawl process %s ignored SIGTERM; killing it", child.pid)
        child.kill()
        child.wait()


# -- the child --------------------------------------------------------------------------------


def crawl_in_this_process(
    config: CrawlConfig, page_store_config: PageStoreConfig, stream: TextIO
) -> None:
    """Run the spider here; only ever in a fresh process (the reactor starts once)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.events import EventSink
    from crawler.settings import scrapy_settings
    from crawler.spiders.site import SiteSpider
    from crawler.store import open_page_store

    store = open_page_store(page_store_config)
    try:
        store.ensure_indexes()
        sink = EventSink(stream, source_id=config.source_id, run_id=config.run_id)
        process = CrawlerProcess(scrapy_settings(config))
        process.crawl(SiteSpider, config=config, store=store, sink=sink)
        process.start()  # blocks; SIGTERM/SIGINT close the spider gracefully
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
    import crawler.store  # noqa: F401
    from crawler.config import CrawlConfig
    from crawler.settings import scrapy_settings

    settings = scrapy_settings(CrawlConfig(source_id="warm", start_urls=("https://warm.invalid/",)))
    preload_components(settings)
    # Both page stores' adapters and client libraries (open_page_store imports them when it
    # opens one).
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
        help='JSON {"crawl": {...}, "page_store": {...}}; default: read it from stdin',
    )
    parser.add_argument(
        "--events-fd", type=int, default=None, help="file descriptor for the JSON lines"
    )
    parser.add_argument(
        "--warm", action="store_true", help="load Scrapy first, then wait for the configuration"
    )
    args = parser.parse_args(argv)
    if args.warm:
        _preload()
    text = args.config if args.config else sys.stdin.read()
    if not text.strip():
        return 0  # a spare that was not needed
    payload = json.loads(text)
    config = CrawlConfig.from_dict(payload["crawl"])
    page_store_config = PageStoreConfig(**payload["page_store"])
    fd = args.events_fd if args.events_fd is not None else payload.get("events_fd", 1)
    with os.fdopen(fd, "w", encoding="utf-8", closefd=fd > 2) as stream:
        crawl_in_this_process(config, page_store_config, stream)
    return 0


def _exit_now(code: int) -> None:
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


if __name__ == "__main__":
    _exit_now(main())
