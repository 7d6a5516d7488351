"""docs/architecture.md sends a newcomer to ``file:function`` in one hop: every name in its
table must exist (a renamed function or a moved file fails here, not on a reader)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers import REPO

DOC = REPO / "docs" / "architecture.md"
# `path/to/file.py:name` or `path/to/file.py:Class.method` (also .js: a named function)
ENTRY = re.compile(r"`([\w./-]+\.(?:py|js)):([\w.]+)`")


def entries(markdown: str) -> list[tuple[str, str]]:
    """(file, dotted name) of every entry point in the doc's table rows."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [match.groups() for row in rows for match in ENTRY.finditer(row)]


def python_names(tree: ast.AST) -> dict[str, ast.AST]:
    """Top-level functions and classes, and ``Class.method`` for their methods."""
    found: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def missing(root: Path, listed: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for file, name in listed:
        path = root / file
        if not path.is_file():
            wrong.append(f"{file} does not exist")
        elif path.suffix == ".js":
            if not re.search(rf"\bfunction\s+{re.escape(name)}\s*\(", path.read_text()):
                wrong.append(f"{file} has no function {name}")
        elif name not in python_names(ast.parse(path.read_text(), str(path))):
            wrong.append(f"{file} has no {name}")
    return wrong


def test_the_table_names_many_entry_points():
    assert len(entries(DOC.read_text())) >= 40


def test_every_entry_point_exists():
    assert missing(REPO, entries(DOC.read_text())) == []


@pytest.mark.parametrize(
    "row, problem",
    [
        ("| x | `backend/wiring.py:no_such_config` |", "backend/wiring.py has no no_such_config"),
        ("| x | `backend/nowhere.py:f` |", "backend/nowhere.py does not exist"),
        (
            "| x | `backend/sources/admin.py:SourceAdmin.no_view` |",
            "backend/sources/admin.py has no SourceAdmin.no_view",
        ),
        (
            "| x | `backend/widget/src/6-start.js:noSuchStart` |",
            "backend/widget/src/6-start.js has no function noSuchStart",
        ),
    ],
)
def test_a_wrong_name_is_reported(row, problem):
    assert missing(REPO, entries(row)) == [problem]


def test_names_outside_the_table_are_not_entries():
    assert entries("Prose with `backend/wiring.py:nothing` in it.\n") == []
