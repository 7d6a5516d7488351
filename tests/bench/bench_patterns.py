"""Include/exclude patterns: Python's re against RE2 (google-re2), on URLs a crawl checks.

Two questions decide which engine matches editors' patterns (crawler/scope.py):
1. the cost per URL of typical patterns (every discovered link is checked against all);
2. what a pattern with catastrophic backtracking does to one hostile URL. Python's re is run
   in a child process with a time limit, since it may not come back.

    python tests/bench/bench_patterns.py [--urls 20000] [--limit 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

TYPICAL = [
    r"/intern/",
    r"\.(jpg|png|gif|zip)$",
    r"[?&](sort|page)=",
    r"^https://www\.verein\.example/(news|termine)/\d{4}/",
    r"(?i)/login|/logout|/admin",
]
HOSTILE = [r"(a+)+$", r"(a|aa)+$", r"(.*a){12}$", r"^(\w+\s?)*$"]


def urls(count: int) -> list[str]:
    paths = ["news/2024/fest", "termine/2025/sommer", "intern/protokoll", "bilder/x.jpg"]
    return [
        f"https://www.verein.example/{paths[n % len(paths)]}-{n}?page={n % 7}" for n in range(count)
    ]


def per_url_us(compile_fn, patterns, urls_: list[str]) -> float:
    compiled = [compile_fn(p) for p in patterns]
    started = time.perf_counter()
    for url in urls_:
        for pattern in compiled:
            pattern.search(url)
    return (time.perf_counter() - started) / len(urls_) * 1e6


def _search_python(pattern: str, text: str) -> None:
    re.search(pattern, text)


def python_hostile_s(pattern: str, text: str, limit: float) -> float | None:
    """Seconds Python's re needs, or None when it did not finish within ``limit``."""
    process = multiprocessing.Process(target=_search_python, args=(pattern, text))
    started = time.perf_counter()
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=20000)
    parser.add_argument("--limit", type=float, default=5.0, help="seconds per hostile search")
    args = parser.parse_args()
    import re2

    options = re2.Options()
    options.log_errors = False
    sample = urls(args.urls)
    python_us = per_url_us(re.compile, TYPICAL, sample)
    re2_us = per_url_us(lambda p: re2.compile(p, options=options), TYPICAL, sample)
    print(f"typical patterns ({len(TYPICAL)}), {args.urls} URLs: microseconds per URL")
    print(f"{'engine':>10}  {'per URL':>10}")
    print(f"{'re':>10}  {python_us:>10.2f}")
    print(f"{'re2':>10}  {re2_us:>10.2f}")

    print(f"\nhostile patterns against one 40-character URL path (limit {args.limit:g} s)")
    print(f"{'pattern':>14}  {'re s':>10}  {'re2 s':>10}")
    text = "https://x.example/" + "a" * 40 + "!"
    for pattern in HOSTILE:
        python_s = python_hostile_s(pattern, text, args.limit)
        started = time.perf_counter()
        re2.compile(pattern, options=options).search(text)
        re2_s = time.perf_counter() - started
        shown = f"> {args.limit:g}" if python_s is None else f"{python_s:.3f}"
        print(f"{pattern:>14}  {shown:>10}  {re2_s:>10.5f}")


if __name__ == "__main__":
    main()
