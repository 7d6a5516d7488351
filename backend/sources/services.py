"""Use cases around crawling: start and stop runs, find or create a source for a URL."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from backend.sources.models import CrawlRun, Source
from workers.dispatch import enqueue_on_commit
from workers.names import Task

logger = logging.getLogger(__name__)

SCHEDULE_INTERVALS = {
    Source.Schedule.HOURLY: timedelta(hours=1),
    Source.Schedule.DAILY: timedelta(days=1),
    Source.Schedule.WEEKLY: timedelta(weeks=1),
}


class CrawlAlreadyRunning(Exception):
    """A source has at most one queued or running crawl."""

    def __init__(self, run: CrawlRun):
        self.run = run
        super().__init__(
            f"A crawl of {run.source} is already {run.get_status_display().lower()} (run #{run.pk})."
        )


def start_crawl(source: Source, trigger: str = CrawlRun.Trigger.ADMIN) -> CrawlRun:
    """Queue a crawl of ``source``, or raise CrawlAlreadyRunning.

    The source row is locked for the check, so two editors pressing "Crawl now" at once get
    one run and one "already running".
    """
    with transaction.atomic():
        Source.objects.select_for_update().filter(pk=source.pk).first()
        active = CrawlRun.objects.filter(source=source, status__in=CrawlRun.ACTIVE_STATUSES).first()
        if active is not None:
            raise CrawlAlreadyRunning(active)
        run = CrawlRun.objects.create(source=source, trigger=trigger)
        enqueue_on_commit(Task.CRAWL_SOURCE, run.pk)
    logger.info("crawl run %s of source %s queued (%s)", run.pk, source.pk, trigger)
    return run


def request_stop(run: CrawlRun) -> bool:
    """Ask a queued or running crawl to stop. False if it had already ended."""
    updated = CrawlRun.objects.filter(pk=run.pk, status__in=CrawlRun.ACTIVE_STATUSES).update(
        stop_requested=True
    )
    # A run still waiting in the queue is stopped right here; the task will find it ended.
    CrawlRun.objects.filter(pk=run.pk, status=CrawlRun.Status.QUEUED).update(
        status=CrawlRun.Status.CANCELLED, finished_at=timezone.now(), finish_reason="cancelled"
    )
    return bool(updated)


def source_for_url(url: str) -> tuple[Source, bool]:
    """The source whose start URLs contain ``url``, or a new one for it (and whether new)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url} is not an http(s) URL")
    for source in Source.objects.filter(start_urls__contains=parts.hostname):
        if url in source.start_url_list:
            return source, False
    name = parts.hostname + (parts.path.rstrip("/") or "")
    base, suffix = name[:190], 2
    while Source.objects.filter(name=name).exists():
        name, suffix = f"{base} ({suffix})", suffix + 1
    return Source.objects.create(name=name, start_urls=url), True


def due_sources(now=None) -> list[Source]:
    """Enabled sources whose schedule says a crawl is due and that have none active."""
    now = now or timezone.now()
    due = []
    for source in Source.objects.filter(enabled=True).exclude(schedule=Source.Schedule.MANUAL):
        last = source.runs.order_by("-created_at").first()
        if last is None or (
            not last.is_active and last.created_at + SCHEDULE_INTERVALS[source.schedule] <= now
        ):
            due.append(source)
    return due


def start_due_crawls() -> int:
    started = 0
    for source in due_sources():
        try:
            start_crawl(source, CrawlRun.Trigger.SCHEDULE)
            started += 1
        except CrawlAlreadyRunning:
            continue  # another scheduler tick got there first
    return started


def fail_abandoned_runs(*, queued_for: timedelta, silent_for: timedelta) -> int:
    """End runs whose task was lost (never started) or whose worker died without a trace."""
    now = timezone.now()
    lost = CrawlRun.objects.filter(
        status=CrawlRun.Status.QUEUED, created_at__lt=now - queued_for
    ).update(
        status=CrawlRun.Status.FAILED,
        finished_at=now,
        finish_reason="lost",
        error="The crawl never started: its task was lost. Start it again.",
    )
    dead = CrawlRun.objects.filter(
        status=CrawlRun.Status.RUNNING, heartbeat_at__lt=now - silent_for
    ).update(
        status=CrawlRun.Status.FAILED,
        finished_at=now,
        finish_reason="abandoned",
        error="The crawl stopped reporting progress: its worker probably died. Start it again.",
    )
    return lost + dead
