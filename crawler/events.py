"""The per-URL log a crawl writes: one JSON object per line.

The caller (the Celery task) reads these lines to count progress into the CrawlRun, to
enqueue ingest for new and changed pages, and to keep the editor-facing log of why a URL was
skipped or failed. Field names are a contract; add fields, never rename them.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    FETCHED_NEW = "fetched_new"
    FETCHED_CHANGED = "fetched_changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"
    # 404/410: the page existed once; the caller deletes its Document if there is one.
    GONE = "gone"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class UrlEvent:
    url: str
    outcome: Outcome
    reason: str = ""
    status: int | None = None
    content_type: str = ""
    content_hash: str | None = None
    title: str = ""
    depth: int = 0
    # "html", "pdf" or "" when the body was not recognised or not fetched.
    kind: str = ""
    # The URL as first requested, when a redirect led to ``url``.
    requested_url: str = ""
    # The text of the link that led here (a PDF's name on the page linking to it), or "".
    link_text: str = ""
    at: str = field(default_factory=_now)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return {"event": "url", **data}


class EventSink:
    """Writes events as JSON lines to a text stream, flushed per line so the reader keeps up."""

    def __init__(self, stream: TextIO, *, source_id: str, run_id: str):
        self._stream = stream
        self._source_id = source_id
        self._run_id = run_id
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {o.value: 0 for o in Outcome}

    def url(self, event: UrlEvent) -> None:
        self.counts[event.outcome.value] += 1
        self._write(event.as_json())

    def sitemap(
        self, url: str, *, status: int | None, kind: str, urls: int, reason: str = ""
    ) -> None:
        """A sitemap read (or not): not a page, so not counted as one."""
        data = {"event": "sitemap", "url": url, "status": status, "kind": kind, "urls": urls}
        self._write({**data, "reason": reason, "at": _now()})

    def robots(self, url: str, *, status: int | None, reason: str) -> None:
        """A robots.txt that could not be read (the crawl then goes on as if there were none)."""
        self._write(
            {"event": "robots", "url": url, "status": status, "reason": reason, "at": _now()}
        )

    def wiki(self, url: str, *, reason: str) -> None:
        """A call to a wiki's API that failed (login, a page list): no page, not counted."""
        self._write({"event": "wiki", "url": url, "status": None, "reason": reason, "at": _now()})

    def started(self, **info: Any) -> None:
        self._write({"event": "started", "at": _now(), **info})

    def finished(self, *, complete: bool, finish_reason: str, **info: Any) -> None:
        self._write(
            {
                "event": "finished",
                "complete": complete,
                "finish_reason": finish_reason,
                "counts": dict(self.counts),
                "at": _now(),
                **info,
            }
        )

    def _write(self, data: dict[str, Any]) -> None:
        data.setdefault("source_id", self._source_id)
        data.setdefault("run_id", self._run_id)
        line = json.dumps(data, ensure_ascii=False)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                # The reader is gone (cancelled run); the crawl is being stopped anyway.
                logger.warning("event stream closed; dropping %s", data.get("event"))
