"""Scale on one machine: a large site crawled and indexed end to end, then served.

    .venv/bin/python tests/bench/bench_scale.py [--pages 10000] [--step 1000]
        [--sections 6] [--pdfs 1000 --pdf-dir ../shared/data/pdf/sample-files] [--dense minilm]
        [--env KEY=VALUE ...] [--questions 30] [--keep]

Prints tables; never fails on timing. Targets (issue "Scale on one machine"): the pages/s of
the last ``--step`` documents within 30 % of the first, and >= 50 pages/s end to end for HTML.

* Site: the generated site of tests/bench/sites.py (``--pages`` pages, ten links each, no
  politeness delay), or with ``--pdfs N`` a static site linking N PDFs: copies of the sample
  PDFs under ``--pdf-dir``, each with a comment appended so every copy has its own content
  hash (the parse cache would otherwise parse each file once).
* Lotse: ``manage.py crawl SOURCE --wait --json`` on the embedded default (SQLite, the
  embedded page store, Qdrant local mode, the in-process worker), the same command an operator
  runs; a source with no download delay and 8 requests per host is created first.
* CPU: user + system time of the crawl command and its children (the Scrapy process), per
  document - what the work costs, however loaded the machine is.
* pages/s per step: from the Documents' ``last_indexed_at`` - the time between the step's
  first and last indexed document; end to end: all documents / (last indexed - crawl start).
* Peak memory: the largest resident size of the crawl command's process tree (the web and
  worker process plus the Scrapy child), sampled every half second; and of ``serve`` after
  its first answers.
* Start-up: ``manage.py serve`` until /healthz answers, and until the first chat answer
  (that is when local mode has read the index and the sparse index is built).
* Search at the end: ``--questions`` chats one after another against the served index (no
  LLM: extractive answers); the server's retrieval_ms and first_token_ms from the done event.
* ``--dense minilm``: also dense vectors from the bundled all-MiniLM-L6-v2 (the
  local-embeddings extra); ``--env`` passes any other setting (another dense model).

The embedded default indexes in ``INDEXING_THREADS`` threads of one process (one per core);
two rag worker *processes* on a broker need a Qdrant server: local mode lets one process open
the store (see docs/scaling.md). ``--env QDRANT_URL=... --env CELERY_BROKER_URL=...`` points the crawl
at them; the workers are then the operator's (``celery -A workers.app worker -Q rag``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.bench_chat import ask_all, pct  # noqa: E402
from tests.bench.sites import SiteProcess  # noqa: E402

QUESTIONS = [
    "Where is the harbour pilot?", "Wann ist die Tide?", "buoy beacon channel",
    "Wo liegt der Anker?", "compass rudder keel", "What is the depth of the quay?",
]  # fmt: skip


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakMemory:
    """Samples a process tree's resident size in a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, tree_rss(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def write_pdf_site(folder: Path, pdf_dir: Path, count: int) -> None:
    samples = sorted(p for p in pdf_dir.rglob("*.pdf") if p.stat().st_size < 2_000_000)
    if not samples:
        raise SystemExit(f"no PDFs under {pdf_dir}")
    (folder / "pdf").mkdir(parents=True)
    links = []
    for n in range(count):
        sample = samples[n % len(samples)]
        name = f"{n}-{sample.name}"
        # a comment after %%EOF: readers ignore it, the content hash differs per copy
        (folder / "pdf" / name).write_bytes(sample.read_bytes() + f"\n%copy {n}\n".encode())
        links.append(f'<li><a href="/pdf/{name}">{name}</a></li>')
    (folder / "index.html").write_text(
        f"<!doctype html><html><body><ul>{''.join(links)}</ul></body></html>", encoding="utf-8"
    )


def indexed_times(var: Path) -> tuple[list[datetime], dict, datetime | None, datetime | None]:
    """Sorted last_indexed_at of indexed Documents, counts by status, the crawl's start and
    end (the crawl itself: fetching and storing; indexing goes on after it)."""
    with sqlite3.connect(var / "lotse.sqlite3") as db:
        times = [
            datetime.fromisoformat(row[0]).replace(tzinfo=UTC)
            for row in db.execute(
                "SELECT last_indexed_at FROM documents_document WHERE status = 'indexed' "
                "ORDER BY last_indexed_at"
            )
        ]
        counts = dict(db.execute("SELECT status, COUNT(*) FROM documents_document GROUP BY 1"))
        started, finished = db.execute(
            "SELECT MIN(started_at), MAX(finished_at) FROM sources_crawlrun"
        ).fetchone()
    as_time = lambda value: datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None  # noqa: E731
    return times, counts, as_time(started), as_time(finished)


def rates(times: list[datetime], step: int) -> list[tuple[int, int, float]]:
    """(from, to, pages/s) per ``step`` indexed documents."""
    rows = []
    for start in range(0, len(times), step):
        end = min(start + step, len(times)) - 1
        seconds = (times[end] - times[start]).total_seconds()
        if end > start and seconds > 0:
            rows.append((start + 1, end + 1, (end - start) / seconds))
    return rows


def disk_size(path: Path) -> int:
    """Bytes of a folder's files, or of a SQLite file with its -wal and -shm files."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return sum(p.stat().st_size for p in files if p.exists())


def serve_and_ask(env: dict, questions: int) -> dict:
    port = 19000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict = {}
    try:
        while time.perf_counter() - started < 600:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        result["healthz_s"] = time.perf_counter() - started
        import asyncio

        import httpx

        while True:  # the first chat waits until the store is read (may outlast a timeout)
            try:
                asyncio.run(ask_all(base, QUESTIONS[:1]))
                break
            except httpx.TimeoutException:
                if time.perf_counter() - started > 1800:
                    raise
        result["first_answer_s"] = time.perf_counter() - started
        import psutil

        times = psutil.Process(server.pid).cpu_times()
        result["first_answer_cpu_s"] = times.user + times.system
        answers = []
        for n in range(questions):
            answers += asyncio.run(ask_all(base, [QUESTIONS[n % len(QUESTIONS)]]))
        timings = [a["timings"] for a in answers]
        result["retrieval_ms"] = [t["retrieval_ms"] for t in timings if "retrieval_ms" in t]
        result["first_token_ms"] = [t["first_token_ms"] for t in timings if "first_token_ms" in t]
        result["serve_rss"] = tree_rss(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000, help="generated HTML pages")
    parser.add_argument("--step", type=int, default=1000, help="documents per rate row")
    parser.add_argument("--sections", type=int, default=0, help="extra sections per page")
    parser.add_argument("--pdfs", type=int, default=0, help="a site of this many PDFs instead")
    parser.add_argument(
        "--pdf-dir", type=Path, default=REPO.parent / "shared/data/pdf/sample-files"
    )
    parser.add_argument("--dense", choices=["", "minilm"], default="")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for Lotse")
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lotse-bench-scale-"))
    var = work / "var"
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "LOTSE_VAR_DIR": str(var),
        "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CHAT_RATE_LIMIT_PER_IP": "0",
        "CHAT_RATE_LIMIT_PER_CONVERSATION": "0",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    if args.dense == "minilm":
        from tests.bench.bench_retrieval import bundled_model_dir

        env.update(
            EMBEDDING_PROVIDER="local",
            EMBEDDING_MODEL="all-MiniLM-L6-v2",
            EMBEDDING_DIM="384",
            EMBEDDING_MODEL_DIR=str(bundled_model_dir()),
        )
    env.update(item.split("=", 1) for item in args.env)
    manage(env, "migrate", "--noinput", check=True)
    if args.pdfs:
        write_pdf_site(work / "site", args.pdf_dir, args.pdfs)
        site_args, path, total = ("static", "--root", str(work / "site")), "/index.html", args.pdfs
        kind = f"{args.pdfs} PDFs (copies of {args.pdf_dir})"
    else:
        site_args = ("generated", "--pages", str(args.pages), "--sections", str(args.sections))
        path, total = "/", args.pages
        kind = f"{args.pages} generated HTML pages ({args.sections} extra sections each)"
    with SiteProcess(*site_args) as site:
        created = manage(
            env,
            "shell",
            "-c",
            "from backend.sources.models import Source; print(Source.objects.create("
            f"name='bench', start_urls='{site.base}{path}', download_delay=0, "
            f"concurrency_per_host=8, max_pages={total + 10}, max_depth=100).pk)",
            check=True,
        )
        source_id = created.stdout.strip().splitlines()[-1]
        started = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawl = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "crawl", source_id, "--wait", "--json"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        memory = PeakMemory(crawl.pid)
        out, err = crawl.communicate(timeout=6 * 3600)
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = memory.stop()
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if crawl.returncode != 0:
        raise SystemExit(f"the crawl failed:\n{out}\n{err[-3000:]}")
    report = json.loads(out)
    times, counts, crawl_started, crawl_finished = indexed_times(var)
    print_crawl(kind, args, env, report, counts, times, (crawl_started, crawl_finished), wall, cpu)
    served = serve_and_ask(env, args.questions)
    print_served(var, peak, served)
    rate_rows = rates(times, args.step)
    if len(rate_rows) >= 2:
        change = rate_rows[-1][2] / rate_rows[0][2] - 1
        print(f"\nlast step vs first: {change:+.0%} (target: within -30 %)")
    if args.keep:
        print(f"work folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def print_crawl(kind, args, env, report, counts, times, crawl, wall, cpu) -> None:
    """The crawl's table, printed before serving (a failure there keeps these numbers)."""
    crawl_started, crawl_finished = crawl
    dense = env.get("EMBEDDING_MODEL") or (
        "none" if env.get("EMBEDDING_PROVIDER") == "none" else "bundled use-multilingual-v3"
    )
    threads = env.get("INDEXING_THREADS", "one per core (at most 4)")
    print(f"\n{kind}, embedded default, dense: {dense}, indexing threads: {threads}")
    print(f"crawl counters: {report['counters']}; documents: {counts}")
    print("\n| documents | pages/s |\n|---|---:|")
    for first, last, rate in rates(times, args.step):
        print(f"| {first:,}-{last:,} | {rate:.1f} |")
    if times and crawl_started:
        seconds = (times[-1] - crawl_started).total_seconds()
        print(f"\nend to end: {len(times):,} documents in {seconds:.0f} s = "
              f"{len(times) / seconds:.1f} pages/s (command wall time {wall:.0f} s)")  # fmt: skip
        if crawl_finished:
            print(f"the crawl itself (fetch, store, change detection) ended after "
                  f"{(crawl_finished - crawl_started).total_seconds():.0f} s")  # fmt: skip
        print(f"CPU time of the crawl command and its children: {cpu:.0f} s = "
              f"{1000 * cpu / max(1, len(times)):.1f} ms per document (the machine's load "
              f"only stretches the wall time)")  # fmt: skip
    sys.stdout.flush()


def print_served(var: Path, peak: int, served: dict) -> None:
    chunks = "?"
    with sqlite3.connect(var / "lotse.sqlite3") as db:
        (chunks,) = db.execute("SELECT SUM(chunk_count) FROM documents_document").fetchone()
    retrieval, first_token = served.get("retrieval_ms", []), served.get("first_token_ms", [])
    print("\n| measure | value |\n|---|---:|")
    rows = [
        ("chunks", f"{chunks:,}" if isinstance(chunks, int) else chunks),
        ("peak memory, crawl + index (process tree)", f"{peak / 2**20:.0f} MiB"),
        ("vector store on disk (var/qdrant)", f"{disk_size(var / 'qdrant') / 2**20:.0f} MiB"),
        ("page store on disk", f"{disk_size(var / 'pagestore') / 2**20:.0f} MiB"),
        ("database on disk", f"{disk_size(var / 'lotse.sqlite3') / 2**20:.0f} MiB"),
        ("serve: /healthz answers after", f"{served['healthz_s']:.1f} s"),
        ("serve: first chat answered after", f"{served['first_answer_s']:.1f} s"),
        ("serve: CPU time until then", f"{served['first_answer_cpu_s']:.1f} s"),
        ("serve: memory after the questions", f"{served['serve_rss'] / 2**20:.0f} MiB"),
        ("search: retrieval p50 / p95", f"{pct(retrieval, .5):.0f} / {pct(retrieval, .95):.0f} ms"),
        ("chat: first token p50 / p95 (one at a time)",
         f"{pct(first_token, .5):.0f} / {pct(first_token, .95):.0f} ms"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"| {name} | {value} |")
    if retrieval:
        print(f"(retrieval mean {statistics.mean(retrieval):.0f} ms over {len(retrieval)} chats)")


if __name__ == "__main__":
    main()
