"""The import contract of docs/architecture.md, as import-linter checks it (make lint runs the
same ``lint-imports``): the code keeps it, and a copy of the code that breaks it is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGES = ("backend", "workers", "crawler", "rag")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on sys.path: run in ``root``, it analyses
    # the packages there, not the installed ones
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},  # one line per contract in the report
    )


def test_the_code_keeps_the_contracts():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory) -> Path:
    """The Python files of the four packages and pyproject.toml, in a folder of their own."""
    root = tmp_path_factory.mktemp("copy")
    shutil.copy(REPO / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(
            REPO / package,
            root / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    return root


@pytest.mark.parametrize(
    "module, code, contract",
    [
        ("rag/sneaky.py", "from django.conf import settings\n", "rag imports nothing"),
        ("rag/sneaky.py", "import crawler.scope\n", "rag imports nothing"),
        ("crawler/sneaky.py", "from backend import wiring\n", "crawler imports nothing"),
        ("crawler/sneaky.py", "from rag import ingest\n", "crawler imports nothing"),
        ("backend/sneaky.py", "from crawler.spiders import site\n", "backend imports of crawler"),
        ("backend/sneaky.py", "import crawler.store.sqlite\n", "backend imports of crawler"),
        ("backend/sneaky.py", "from workers.tasks import rag\n", "backend imports of workers"),
    ],
)
def test_a_forbidden_import_is_caught(code_copy, module, code, contract):
    sneaky = code_copy / module
    sneaky.write_text(code)
    try:
        result = lint_imports(code_copy)
    finally:
        sneaky.unlink()
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout


@pytest.mark.parametrize(
    "module, code",
    [
        ("crawler/sneaky.py", "from rag.errors import TransientError\n"),
        ("crawler/sneaky.py", "from rag.retry import RetryPolicy, parse_retry_after\n"),
        ("backend/sneaky.py", "from crawler.scope import Scope\nfrom workers.names import Task\n"),
        ("workers/sneaky.py", "from crawler.spiders import site\nimport backend.wiring\n"),
    ],
)
def test_an_allowed_import_passes(code_copy, module, code):
    sneaky = code_copy / module
    sneaky.write_text(code)
    try:
        result = lint_imports(code_copy)
    finally:
        sneaky.unlink()
    assert result.returncode == 0, result.stdout
