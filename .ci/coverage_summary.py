"""Branch coverage per package and in total, from the combined data of a `make coverage` run.

Prints one table (statements and branches together, as coverage.py counts its total), writes
the per-file report next to the data file, and exits 1 when the total or one of the gated
packages is below ``--min`` per cent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import coverage

PACKAGES = ("backend", "crawler", "rag", "workers")
GATED = ("backend", "crawler", "rag")
FIELDS = ("num_statements", "missing_lines", "num_branches", "missing_branches")


def per_package(files: dict[str, dict]) -> dict[str, dict[str, int]]:
    sums: dict[str, dict[str, int]] = {}
    for path, data in files.items():
        package = Path(path).parts[0]
        if package not in PACKAGES:
            continue
        total = sums.setdefault(package, dict.fromkeys(FIELDS, 0))
        for field in FIELDS:
            total[field] += data["summary"][field]
    return sums


def percent(counts: dict[str, int]) -> float:
    possible = counts["num_statements"] + counts["num_branches"]
    missed = counts["missing_lines"] + counts["missing_branches"]
    return 100.0 * (possible - missed) / possible if possible else 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=float, default=80.0, help="lowest acceptable per cent")
    args = parser.parse_args()

    data_file = os.environ.get("COVERAGE_FILE", ".coverage")
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    report = Path(data_file).with_name("report.txt")
    with report.open("w", encoding="utf-8") as out:
        cov.report(file=out, show_missing=True, skip_covered=True)
    json_path = Path(data_file).with_name("coverage.json")
    cov.json_report(outfile=str(json_path))
    files = json.loads(json_path.read_text(encoding="utf-8"))["files"]

    packages = per_package(files)
    overall = dict.fromkeys(FIELDS, 0)
    for counts in packages.values():
        for field in FIELDS:
            overall[field] += counts[field]

    header = f"{'package':<10} {'statements':>10} {'missed':>7} {'branches':>9} {'missed':>7} {'cover':>7}"
    print(header)
    print("-" * len(header))
    failing = []
    for name, counts in [*sorted(packages.items()), ("total", overall)]:
        share = percent(counts)
        label = f"{name}/" if name != "total" else name
        print(
            f"{label:<10} {counts['num_statements']:>10} {counts['missing_lines']:>7} "
            f"{counts['num_branches']:>9} {counts['missing_branches']:>7} {share:>6.1f}%"
        )
        if (name in GATED or name == "total") and share < args.min:
            failing.append(f"{label} {share:.1f}%")
    print(f"(branch coverage; per file: {report})")
    if failing:
        print(f"coverage below {args.min:.0f}%: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
