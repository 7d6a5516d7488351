"""No Python module over 400 lines outside migrations: a file that long does several jobs, and
the seams its docstring names are where it splits (docs/architecture.md)."""

from __future__ import annotations

from tests.helpers import REPO

LIMIT = 400
FOLDERS = ("backend", "crawler", "rag", "workers", "tests", ".ci")


def too_long(root=REPO) -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > LIMIT:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_module_is_over_the_limit():
    assert too_long() == []


def test_a_long_module_is_found_and_a_migration_is_not(tmp_path):
    (tmp_path / "rag").mkdir()
    (tmp_path / "rag" / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (tmp_path / "backend" / "chat" / "migrations").mkdir(parents=True)
    (tmp_path / "backend" / "chat" / "migrations" / "0001_initial.py").write_text("x\n" * 900)
    assert too_long(tmp_path) == [f"rag/long.py: {LIMIT + 1} lines"]
