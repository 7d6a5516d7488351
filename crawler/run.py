"""Run one crawl in a child process and stream its per-URL events back.

Twisted's reactor cannot be restarted, so a long-lived Celery worker never runs Scrapy in its
own process: ``run_crawl`` starts ``python -m crawler.run`` for each crawl, reads its events
from a pipe, enforces a hard time limit and stops the child on cancellation (SIGTERM first,
so Scrapy closes cleanly and reports an incomplete run; SIGKILL if it does not).

The configs travel on the child's stdin, not its command line, because a page store URL may
carry credentials and command lines are visible to every user of the machine. The stdin then
stays open until the crawl has ended: it is the child's lifeline, and a child whose parent
died exits at once (crawler.child). The child's side lives in crawler.child, starting
processes (and the warm spare) in crawler.spare.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TextIO

from crawler.config import CrawlConfig
from crawler.spare import keep_warm, spawn, stop_warm, take_spare, warm_wanted
from crawler.store import PageStoreConfig

__all__ = ["CrawlError", "CrawlResult", "keep_warm", "main", "run_crawl", "stop_warm"]

logger = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]
# Beyond its own time limit the child gets this long to close before it is stopped.
DEFAULT_GRACE_S = 30.0
# After SIGTERM, this long to shut down before SIGKILL.
DEFAULT_TERM_WAIT_S = 10.0


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
    # why the site made the crawl incomplete, from the "finished" event (crawler.completeness)
    report: dict[str, Any] = field(default_factory=dict)


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
    spare = take_spare(python)
    try:
        child, read_fd, child_fd = spare if spare is not None else spawn(python)
    except OSError as exc:
        close_sink()
        raise CrawlError(f"cannot start the crawl process: {exc}") from exc
    payload = json.dumps(
        {"crawl": config.to_dict(), "page_store": asdict(page_store_config), "events_fd": child_fd}
    )
    try:
        try:
            child.stdin.write(payload + "\n")
            child.stdin.flush()  # and kept open: the child's lifeline
        except BrokenPipeError:
            pass  # the child died at once; _follow_child reports it as crashed
        result = _follow_child(child, read_fd, deliver, is_cancelled, config, grace_s, term_wait_s)
    except BaseException:
        # Whatever stops us (an error in the callback, Celery's time limit) stops the child.
        _stop(child, term_wait_s)
        raise
    finally:
        os.close(read_fd)
        _close_lifeline(child)
        close_sink()
        if warm_wanted():
            keep_warm(python)  # for the next crawl, while this process waits for work
    return result


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
    lines = _EventLines(deliver, result)
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
                    # It exited; a grandchild may still hold the pipe open, so no end of file
                    # comes. What the child wrote last is in the pipe already: read it all.
                    while selector.select(timeout=0) and lines.feed(os.read(read_fd, 1 << 16)):
                        pass
                    break
                continue
            if not lines.feed(os.read(read_fd, 1 << 16)):
                break
    lines.close()
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


class _EventLines:
    """Splits the pipe's bytes into events and hands each on, in order."""

    def __init__(self, deliver: EventCallback, result: CrawlResult):
        self.deliver = deliver
        self.result = result
        self.pending = b""

    def feed(self, chunk: bytes) -> bool:
        """False at end of file."""
        if not chunk:
            return False
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        for line in lines:
            self._handle(line)
        return True

    def close(self) -> None:
        pending, self.pending = self.pending, b""
        self._handle(pending)  # a last line without its newline

    def _handle(self, line: bytes) -> None:
        event = _parse_line(line)
        if event is None:
            return
        result = self.result
        result.events += 1
        if event.get("event") == "finished":
            result.complete = bool(event.get("complete"))
            result.finish_reason = str(event.get("finish_reason") or "")
            result.counts = dict(event.get("counts") or {})
            result.report = {
                key: event[key]
                for key in ("unreachable", "known_failed", "known_answered")
                if key in event
            }
        self.deliver(event)


def _close_lifeline(child: subprocess.Popen) -> None:
    """After the crawl: the child has exited (or is being stopped), its stdin can go."""
    try:
        child.stdin.close()
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """The crawl child's entry point (``python -m crawler.run``), in crawler.child."""
    from crawler.child import main as child_main

    return child_main(argv)


if __name__ == "__main__":
    from crawler.child import exit_now

    exit_now(main())
