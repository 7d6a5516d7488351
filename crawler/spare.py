"""Starting crawl processes: one now, or a spare ahead of time (see crawler.run).

Starting a crawl process costs about half a second before the first request (Python, Scrapy,
Twisted, the middlewares), which is most of a small site's recrawl. A worker that calls
keep_warm() keeps one spare process that has loaded all that and waits on its stdin for a
configuration; each crawl takes the spare (still one process per crawl) and starts the next.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

_REPO_ROOT = str(Path(__file__).resolve().parent.parent)

_spare_lock = threading.Lock()
_spare: tuple[subprocess.Popen, int, int, str] | None = None  # child, read fd, child's fd, python
_warm_wanted = False


def spawn(python: str, *, warm: bool = False) -> tuple[subprocess.Popen, int, int]:
    """A crawl child with an events pipe: (child, our read end, the write end's number).

    Its stdin is its lifeline (crawler.child): keep it open while the crawl runs."""
    read_fd, write_fd = os.pipe()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_REPO_ROOT, env.get("PYTHONPATH")) if p)
    command = [python, "-m", "crawler.run", "--events-fd", str(write_fd)]
    command += ["--lifeline", str(os.getpid())]
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
        child, read_fd, child_fd = spawn(python, warm=True)
    except OSError as exc:
        logger.warning("cannot start a spare crawl process: %s", exc)
        return
    with _spare_lock:
        extra, _spare = _spare, (child, read_fd, child_fd, python)
    if extra is not None:  # another thread was quicker
        _discard(extra)


def warm_wanted() -> bool:
    return _warm_wanted


def stop_warm() -> None:
    """No spare from now on; the one waiting exits."""
    global _spare, _warm_wanted
    _warm_wanted = False
    with _spare_lock:
        old, _spare = _spare, None
    if old is not None:
        _discard(old)


def take_spare(python: str) -> tuple[subprocess.Popen, int, int] | None:
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
