"""Start a crawl from the command line, optionally wait for it and its indexing."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from backend.documents.models import Document
from backend.ops.embedded import acquire_embedded_stores
from backend.ops.progress import ProgressBar
from backend.sources.models import CrawlRun, Source
from backend.sources.services import CrawlAlreadyRunning, source_for_url, start_crawl


class Command(BaseCommand):
    help = "Crawl a source (by id, or by URL: a source is created if none has it as start URL)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="source id or start URL")
        parser.add_argument("--wait", action="store_true", help="wait for the crawl and indexing")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds to wait")
        parser.add_argument(
            "--render",
            choices=Source.Render.values,
            default=None,
            help="render pages with a browser: never, auto (when a page looks built by "
            "JavaScript) or always; saved with the source",
        )

    def handle(
        self,
        *args,
        source: str,
        wait: bool,
        as_json: bool,
        timeout: float,
        render: str | None = None,
        **options,
    ):
        if settings.TASKS_EMBEDDED:
            # The crawl runs in this process's in-process worker, so this process needs the
            # embedded stores, and must wait: leaving would abandon the crawl.
            if not settings.QDRANT_URL:
                acquire_embedded_stores()
            wait = True
        target = self._source(source)
        if render is not None and render != target.render:
            target.render = render
            target.save(update_fields=["render", "updated_at"])
        try:
            run = start_crawl(target, CrawlRun.Trigger.CLI)
        except CrawlAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        if not as_json:
            self.stderr.write(f"Crawl run #{run.pk} of {target} queued.")
        if not wait:
            if as_json:
                self.stdout.write(json.dumps({"run": run.pk, "status": run.status}))
            return
        run = self._wait_for_run(run, timeout, quiet=as_json)
        documents = self._wait_for_indexing(target, timeout, quiet=as_json)
        report = {
            "run": run.pk,
            "source": target.pk,
            "status": run.status,
            "complete": run.complete,
            "finish_reason": run.finish_reason,
            "error": run.error,
            "counters": {name: getattr(run, name) for name in CrawlRun.COUNTERS},
            "documents": documents,
        }
        if as_json:
            self.stdout.write(json.dumps(report))
        else:
            counters = ", ".join(f"{k} {v}" for k, v in report["counters"].items())
            self.stdout.write(f"Run #{run.pk}: {run.get_status_display()} ({counters})")
            self.stdout.write(
                "Documents: {indexed} indexed, {failed} failed, {pending} pending".format(
                    **documents
                )
            )
        if run.status == CrawlRun.Status.FAILED:
            raise CommandError(run.error or "the crawl failed")

    def _source(self, value: str) -> Source:
        if value.isdigit():
            try:
                return Source.objects.get(pk=int(value))
            except Source.DoesNotExist:
                raise CommandError(f"There is no source with id {value}.") from None
        try:
            source, created = source_for_url(value)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stderr.write(f"Created source #{source.pk} ({source.name}).")
        return source

    def _wait_for_run(self, run: CrawlRun, timeout: float, *, quiet: bool) -> CrawlRun:
        bar = None if quiet else ProgressBar(self.stderr._out)
        deadline = time.monotonic() + timeout
        while True:
            run.refresh_from_db()
            if bar:
                done = run.fetched + run.skipped + run.failed + run.gone
                # The crawler cannot know how many pages a site has: max pages is the ceiling.
                bar.update(
                    done,
                    run.source.max_pages,
                    f"{run.get_status_display()}: new {run.new}, changed {run.changed}, "
                    f"unchanged {run.unchanged}, failed {run.failed}",
                )
            if not run.is_active:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"Run #{run.pk} still {run.status} after {timeout:g}s.")
            time.sleep(0.5)
        if bar:
            bar.close()
        return run

    def _wait_for_indexing(self, source: Source, timeout: float, *, quiet: bool) -> dict:
        bar = None if quiet else ProgressBar(self.stderr._out)
        deadline = time.monotonic() + timeout
        while True:
            counts = _document_counts(source)
            total = counts["indexed"] + counts["failed"] + counts["pending"]
            if bar:
                bar.update(counts["indexed"] + counts["failed"], total, "documents indexed")
            if counts["pending"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(1.0)  # each look counts the source's documents: not too often
        if bar:
            bar.close()
        return counts


def _document_counts(source: Source) -> dict[str, int]:
    """Documents per status, in one pass over the source's documents."""
    counts = {"indexed": 0, "failed": 0, "pending": 0, "gone": 0}
    rows = (
        Document.objects.filter(source=source, status__in=list(counts))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    counts.update(dict(rows))
    return counts
