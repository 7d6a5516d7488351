"""Use cases around crawling: start and stop runs, find or create a source for a URL."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
    """Ask a queued or running crawl to stop. False if it had already ended.

    A queued run is stopped right here (the task will find it ended), and so is a running
    one whose worker is gone (no heartbeat for three heartbeat intervals): nobody would ever
    read the flag. A live crawl sees the flag within a second and stops cleanly."""
    updated = CrawlRun.objects.filter(pk=run.pk, status__in=CrawlRun.ACTIVE_STATUSES).update(
        stop_requested=True
    )
    now = timezone.now()
    ended = {"status": CrawlRun.Status.CANCELLED, "finished_at": now, "finish_reason": "cancelled"}
    CrawlRun.objects.filter(pk=run.pk, status=CrawlRun.Status.QUEUED).update(**ended)
    silent_since = now - timedelta(seconds=3 * settings.CRAWLER_HEARTBEAT_INTERVAL)
    _running_without_heartbeat(silent_since).filter(pk=run.pk).update(
        **ended, error="Its worker had stopped: the crawl was ended without it."
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


def _running_without_heartbeat(silent_since):
    """Running runs that last reported (or started, if they never did) before ``silent_since``."""
    return CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True, started_at__lt=silent_since)
    )


def fail_abandoned_runs(*, queued_for: timedelta, silent_for: timedelta) -> int:
    """End runs whose task was lost (never started) or whose worker died without a trace.
    One conditional update each: a run that reports again meanwhile is left alone."""
    now = timezone.now()
    lost = CrawlRun.objects.filter(
        status=CrawlRun.Status.QUEUED, created_at__lt=now - queued_for
    ).update(
        status=CrawlRun.Status.FAILED,
        finished_at=now,
        finish_reason="lost",
        error="The crawl never started: its task was lost. Start it again.",
    )
    dead = _running_without_heartbeat(now - silent_for).update(
        status=CrawlRun.Status.FAILED,
        finished_at=now,
        finish_reason="abandoned",
        error="The crawl stopped sending its heartbeat: its worker or the server stopped. "
        "Start it again.",
    )
    if lost or dead:
        logger.warning("crawl watchdog: %s lost and %s abandoned runs ended", lost, dead)
    return lost + dead


def end_dead_runs() -> int:
    """The watchdog's check, with the operator's settings."""
    return fail_abandoned_runs(
        queued_for=timedelta(hours=2),
        silent_for=timedelta(seconds=settings.CRAWLER_WATCHDOG_TIMEOUT),
    )


# Reason codes of the scope check, in the editor's words (the per-URL log uses the same codes).
SCOPE_EXPLANATIONS = {
    "in_scope": _(
        "In scope: a crawl of this source fetches it when it finds a link to it within the "
        "maximum link depth (or it is a start URL or in a sitemap)."
    ),
    "not_http": _("Not an http(s) URL."),
    "out_of_scope_domain": _("Its host is not one of the source's allowed domains."),
    "excluded_pattern": _("An exclude pattern matches it."),
    "not_included": _("Include patterns are set and none matches it."),
    "too_deep": _("It is further from a start URL than the maximum link depth."),
}


def explain_url(source: Source, url: str) -> dict:
    """Whether a crawl of ``source`` would fetch ``url``, and why (for the "test a URL" tool)."""
    from backend.documents.models import Document, url_key
    from backend.wiring import crawl_config
    from crawler import netguard
    from crawler.scope import InvalidURL, Scope

    config = crawl_config(CrawlRun(source=source))
    scope = Scope.from_config(config)
    try:
        normalised = scope.normalize(url.strip())
    except InvalidURL:
        return {
            "url": url,
            "normalised": "",
            "in_scope": False,
            "reason": "not_http",
            "explanation": SCOPE_EXPLANATIONS["not_http"],
            "network": "",
            "document": None,
        }
    reason = scope.check(normalised, depth=0).value
    parts = urlsplit(normalised)
    host = parts.hostname or ""
    guard = netguard.NetGuard(config.allowed_networks, resolver=netguard.resolve_host)
    decision = guard.check(host, parts.port) if host else None
    network_ok = bool(decision and decision.allowed)
    document = Document.objects.filter(source=source, url_hash=url_key(normalised)).first()
    return {
        "url": url,
        "normalised": normalised,
        "in_scope": reason == "in_scope" and network_ok,
        "reason": reason,
        "explanation": SCOPE_EXPLANATIONS.get(reason, reason),
        "network": "" if network_ok else (decision.reason if decision else "no host"),
        "document": document,
    }
