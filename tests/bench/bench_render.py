"""Rendering pages with a browser: pages/s and peak memory for render never / auto / always.

    .venv/bin/python tests/bench/bench_render.py [--aspec PATH] [--pages 40] [--browser PATH]

Prints a table; never fails on timing. Each row is one first crawl (``crawler.run.run_crawl``:
the crawl child, the embedded page store in a temporary folder, no indexing) of

* a script-built site served in this process: ``--pages`` application shells
  (``<div id="root"></div>``) whose text a script fetches from a JSON endpoint and whose
  links it writes (tests/crawler/js_sites.py has the same pattern);
* aspec (../shared/data/sites/aspec, static files, tests/bench/sites.py): under *auto* no
  page may be rendered, and the row says how many were.

Peak memory: the largest proportional set size (PSS: shared pages counted once) of the crawl
child and all its descendants (Playwright's driver, Chromium's processes) together, sampled
every 50 ms with psutil. Pages/s counts the
HTML pages the crawl stored (fetched new), over wall time from the start of ``run_crawl``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from crawler.config import CrawlConfig  # noqa: E402
from crawler.run import run_crawl  # noqa: E402
from crawler.store import PageStoreConfig  # noqa: E402
from tests.bench.sites import SiteProcess  # noqa: E402
from tests.crawler.sites import Answer, Site  # noqa: E402

HTML = {"Content-Type": "text/html; charset=utf-8"}
SHELL = (
    '<!doctype html><html lang="de"><head><title>Seite {n}</title>'
    '<script src="/app.js" defer></script></head><body><div id="root"></div></body></html>'
)
APP = """(function () {
  var n = location.pathname.split('/').pop() || '0';
  fetch('/api/' + n + '.json').then(function (r) { return r.json(); }).then(function (d) {
    var links = d.links.map(function (l) { return '<a href="/p/' + l + '">Seite ' + l + '</a>'; });
    document.getElementById('root').innerHTML = '<h1>' + d.title + '</h1><p>' + d.text +
      '</p>' + links.join(' ');
  });
})();"""


def script_site(pages: int) -> Site:
    routes = {"/app.js": Answer(body=APP.encode(), headers={"Content-Type": "text/javascript"})}
    for n in range(pages):
        routes[f"/p/{n}"] = Answer(body=SHELL.format(n=n).encode(), headers=HTML)
        data = {
            "title": f"Seite {n}",
            "text": f"Text der Seite {n}: " + "Der Verein informiert über Termine. " * 30,
            "links": [(n + 1) % pages, (n * 7 + 3) % pages],
        }
        routes[f"/api/{n}.json"] = Answer(
            body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
        )
    routes["/"] = Answer(body=b'<a href="/p/0">Start</a>', headers=HTML)
    return Site(routes)


class PeakMemory:
    """The largest summed PSS of this process's descendants while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            total = 0
            for child in me.children(recursive=True):
                try:
                    # PSS: shared pages (Chromium's processes share many) counted once
                    total += child.memory_full_info().pss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def bench(label: str, base: str, start: str, render: str, browser: str) -> dict:
    events: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = CrawlConfig(
            source_id="bench",
            start_urls=(base + start,),
            allowed_networks=("127.0.0.1/32",),
            render=render,
            browser_path=browser,
            download_delay=0,
            concurrency_per_host=4,
            max_depth=50,
            time_limit_s=600,
            log_level="WARNING",
        )
        store = PageStoreConfig(url="", database="lotse", path=str(Path(tmp) / "pages"))
        with PeakMemory() as memory:
            started = time.perf_counter()
            result = run_crawl(config, store, events.append)
            elapsed = time.perf_counter() - started
    pages = [e for e in events if e.get("event") == "url" and e.get("kind") == "html"]
    stored = [e for e in pages if e["outcome"] == "fetched_new"]
    rendered = [e for e in pages if str(e.get("reason", "")).startswith("rendered")]
    failed = [e for e in pages if e["outcome"] == "failed"]
    return {
        "site": label,
        "render": render,
        "pages": len(stored),
        "rendered": len(rendered),
        "failed": len(failed),
        "seconds": elapsed,
        "pages_s": len(stored) / elapsed if elapsed else 0.0,
        "peak_mb": memory.peak / 1e6,
        "complete": result.complete,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aspec", default=str(REPO.parent / "shared/data/sites/aspec"))
    parser.add_argument("--pages", type=int, default=40, help="pages of the script-built site")
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    rows = []
    with script_site(args.pages) as site:
        for render in ("never", "auto", "always"):
            rows.append(bench("script-built", site.base, "/", render, args.browser))
    aspec = Path(args.aspec)
    if aspec.is_dir():
        with SiteProcess("static", "--root", str(aspec.resolve())) as static:
            for render in ("never", "auto", "always"):
                rows.append(bench("aspec", static.base, "/", render, args.browser))
    else:
        print(f"note: {aspec} is not here; the aspec site is skipped")
    head = f"{'site':14} {'render':7} {'pages':>6} {'rendered':>9} {'failed':>7} "
    print(head + f"{'seconds':>8} {'pages/s':>8} {'peak MB':>8} complete")
    for r in rows:
        print(
            f"{r['site']:14} {r['render']:7} {r['pages']:6d} {r['rendered']:9d} {r['failed']:7d} "
            f"{r['seconds']:8.2f} {r['pages_s']:8.1f} {r['peak_mb']:8.0f} {r['complete']}"
        )
    for r in rows:
        if r["site"] == "aspec" and r["render"] == "auto" and r["rendered"]:
            print(f"NOTE: auto rendered {r['rendered']} aspec pages; it should render none")


if __name__ == "__main__":
    main()
