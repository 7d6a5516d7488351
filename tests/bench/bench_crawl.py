"""Crawl throughput: a Lotse crawl against a bare Scrapy spider on the same local sites.

    .venv/bin/python tests/bench/bench_crawl.py [--aspec PATH] [--pages 2000] [--concurrency 8]

Prints a table; never fails on timing. Targets: Lotse's first crawl at least 0.8x the pages/s
of bare Scrapy, and a recrawl of the unchanged site in at most 0.3x the first crawl's time.

* Bare Scrapy: a minimal spider following every same-host <a href>, no delay, robots.txt
  off, in its own process (CrawlerProcess), with the same concurrency settings as Lotse. Its
  process has imported Scrapy and the components its settings name before the clock starts,
  as Lotse's warm spare has. It then crawls the site again, sending its first crawl's ETag /
  Last-Modified and following a 304 page's links as it saw them: what asking every page
  again costs Scrapy itself, without any of Lotse's work.
* Lotse: the path a real crawl takes — ``execute_crawl`` of backend/sources/crawling.py
  (crawl child process — the worker's warm spare, as from its second crawl on —, page store,
  per-URL events into the CrawlRun and Documents) on the
  embedded default (SQLite, embedded page store) in a temporary LOTSE_VAR_DIR. Only the
  ingest dispatch is replaced by a counter, so indexing does not compete for the CPU.
* Sites: aspec (static files, no sitemap), the generated site found through its links only,
  and the same site with a sitemap that gives every page a <lastmod> in the past (as CMSs
  publish them): there a recrawl skips the pages the sitemap says are older than Lotse's
  copy; elsewhere it asks the server with conditional GETs and gets 304s. Last, the
  generated site sending a Last-Modified in the past, crawled by a source that rechecks
  unchanged pages only when possibly outdated (revisit "when_stale", opt-in): a recrawl
  then asks only about the start URL, the other copies being fresh for a tenth of their age.
* Each site is served by its own process (tests/bench/sites.py), with TCP_NODELAY so
  neither crawler measures the 40 ms delayed-ACK stall of http.server's two writes. Times
  are wall clock from the bench process: for both, from handing the loaded crawl process its
  work to the end of the crawl (for Lotse: with its run recorded).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.bare_scrapy import run_bare_scrapy  # noqa: E402
from tests.bench.sites import SiteProcess  # noqa: E402

# -- Lotse, through Django's execute_crawl --------------------------------------------------


def setup_django(var_dir: str) -> None:
    # The embedded default, whatever this shell has set: no servers, a fresh var dir.
    for name in ("DATABASE_URL", "MONGODB_URL", "QDRANT_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings.dev"
    os.environ["LOTSE_VAR_DIR"] = var_dir
    os.environ["CRAWLER_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every SQL query in memory
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("backend").setLevel(logging.WARNING)  # keep the table readable


class IngestCounter:
    """Stands in for enqueue_on_commit: counts what would have been sent, per task name."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def __call__(self, task_name: str, *args, **kwargs) -> None:
        self.sent[str(task_name)] += 1


def run_lotse(source, counter: IngestCounter) -> tuple[object, float, Counter]:
    from backend.sources import crawling
    from backend.sources.models import CrawlRun
    from crawler.run import keep_warm

    # As in a crawler worker that has crawled before: a spare crawl process has loaded Scrapy
    # (crawls of a source are minutes apart; here a second is enough for it to be ready).
    keep_warm()
    time.sleep(1.0)
    counter.sent.clear()
    run = CrawlRun.objects.create(source=source, trigger=CrawlRun.Trigger.CLI)
    started = time.monotonic()
    run = crawling.execute_crawl(run.pk)
    elapsed = time.monotonic() - started
    return run, elapsed, Counter(counter.sent)


def lotse_source(name: str, start_url: str, concurrency: int, **fields):
    from backend.sources.models import Source

    return Source.objects.create(
        name=name,
        start_urls=start_url,
        download_delay=0,
        concurrency_per_host=concurrency,
        max_depth=100,
        max_pages=100_000,
        **fields,
    )


def mark_documents_indexed(source) -> None:
    """What the ingest tasks the counter swallowed would have done: Documents indexed.

    Without it the recrawl would (rightly) enqueue every still-pending Document again.
    """
    from backend.documents.models import Document

    Document.objects.filter(source=source, status=Document.Status.PENDING).update(
        status=Document.Status.INDEXED
    )


# -- the table ----------------------------------------------------------------------------


def bench_site(label: str, site_args: list[str], source_fields: dict, concurrency: int, counter):
    from workers.names import Task

    with SiteProcess(*site_args) as site:
        start = site.base + "/"
        bare = run_bare_scrapy(start, concurrency)
        source = lotse_source(label, start, concurrency, **source_fields)
        before = site.sent_bytes()
        first, first_s, _ = run_lotse(source, counter)
        first_bytes = site.sent_bytes() - before
        mark_documents_indexed(source)
        again, again_s, sent = run_lotse(source, counter)
        again_bytes = site.sent_bytes() - before - first_bytes
    from backend.sources.models import CrawlLogEntry

    not_fetched = CrawlLogEntry.objects.filter(
        run=again, reason__in=("sitemap_lastmod", "still_fresh")
    ).count()
    for run in (first, again):
        if run.status != "finished" or not run.complete:
            print(f"  note: {label} run {run.pk} ended {run.status} ({run.finish_reason})")
    return {
        "site": label,
        "pages": first.fetched,
        "bare_pages": bare["pages"],
        "bare_rate": bare["pages"] / bare["first_s"],
        "bare_recrawl_ratio": bare["recrawl_s"] / bare["first_s"],
        "bare_recrawl_pages": bare["recrawl_pages"],
        "bare_recrawl_304": bare["recrawl_not_modified"],
        "first_rate": first.fetched / first_s,
        "first_s": first_s,
        "recrawl_s": again_s,
        "recrawl_unchanged": again.unchanged,
        "recrawl_not_fetched": not_fetched,
        "first_bytes": first_bytes,
        "recrawl_bytes": again_bytes,
        "recrawl_ingest": sent[str(Task.INGEST_DOCUMENT)],
    }


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'site':<12} {'pages':>6} {'bare scrapy p/s':>16} {'lotse first p/s':>16} "
        f"{'ratio':>6} {'lotse recrawl s':>16} {'recrawl/first':>14} {'bytes r/f':>10} "
        f"{'bare r/f':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['site']:<12} {r['pages']:>6} {r['bare_rate']:>16.1f} {r['first_rate']:>16.1f} "
            f"{r['first_ratio']:>6.2f} {r['recrawl_s']:>16.2f} "
            f"{r['recrawl_ratio']:>14.2f} "
            f"{r['recrawl_bytes'] / max(1, r['first_bytes']):>10.2f} "
            f"{r['bare_recrawl_ratio']:>9.2f}"
        )
    print()
    for r in rows:
        print(
            f"{r['site']}: bare scrapy fetched {r['bare_pages']} pages "
            f"({r['bare_recrawl_pages']} on its recrawl, {r['bare_recrawl_304']} of them 304); "
            f"lotse first crawl "
            f"{r['first_s']:.2f}s, {r['first_bytes'] / 1e6:.1f} MB sent by the site; recrawl: "
            f"{r['recrawl_bytes'] / 1e6:.2f} MB, {r['recrawl_unchanged']} unchanged pages "
            f"({r['recrawl_not_fetched']} of them not fetched), "
            f"{r['recrawl_ingest']} ingest tasks would have been enqueued (expected 0)"
        )
    print("targets: ratio >= 0.80 (first crawl vs bare scrapy), recrawl/first <= 0.30")
    print("bytes r/f: what the site sent for the recrawl, relative to the first crawl")
    print(
        "bare r/f: bare Scrapy's own recrawl with conditional GETs (its first crawl's "
        "validators and links), relative to its first crawl: the floor for asking every page"
    )
    print(
        "* source set to recheck unchanged pages only when possibly outdated (revisit "
        "'when_stale', opt-in); every other row: the default, every page asked at every crawl"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--aspec", default=str(REPO.parent / "shared/data/sites/aspec"))
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--small-rounds",
        type=int,
        default=5,
        help="rounds for aspec (38 pages, a fifth of a second: one round is noise); medians",
    )
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="lotse-bench-")
    setup_django(var_dir)
    from backend.sources import crawling

    counter = IngestCounter()
    # Ingest and delete tasks are counted, not sent: this measures the crawl, not indexing.
    crawling.enqueue_on_commit = counter
    print(
        f"concurrency {args.concurrency}, download delay 0; Lotse ingest dispatch replaced by "
        f"a counter (no indexing; Documents marked indexed before the recrawl); Lotse on the "
        f"embedded stores in {var_dir}; one uncounted crawl and recrawl of a 5-page site "
        f"first (the worker as from its second crawl on); aspec: median of "
        f"{args.small_rounds} rounds"
    )
    print()
    with SiteProcess("generated", "--pages", "5") as site:
        warm_up = lotse_source("warm-up", site.base + "/", args.concurrency)
        run_lotse(warm_up, counter)
        run_lotse(warm_up, counter)

    generated = ["generated", "--pages", str(args.pages)]
    sites = [
        ("generated", generated, {}, 1),
        ("gen+sitemap", [*generated, "--sitemap"], {}, 1),
        ("gen+lastmod*", [*generated, "--last-modified"], {"revisit": "when_stale"}, 1),
    ]
    aspec = Path(args.aspec)
    if aspec.is_dir():
        static = ["static", "--root", str(aspec.resolve())]
        sites.insert(0, ("aspec", static, {}, args.small_rounds))
    else:
        print(f"note: {aspec} is not here; the aspec site is skipped")
    rows = []
    for label, site_args, fields, rounds in sites:
        # each round on a new site process: a new port, so new URLs and a real first crawl
        runs = [
            bench_site(f"{label}#{n}", site_args, fields, args.concurrency, counter)
            for n in range(rounds)
        ]
        rows.append({**median_row(runs), "site": label})
    print_table(rows)


def median_row(runs: list[dict]) -> dict:
    """Per column the median of the rounds (ratios from each round's own times)."""
    for run in runs:
        run["first_ratio"] = run["first_rate"] / run["bare_rate"]
        run["recrawl_ratio"] = run["recrawl_s"] / run["first_s"]
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float):
            row[key] = statistics.median(run[key] for run in runs)
    return row


if __name__ == "__main__":
    main()
