"""The import rules of DESIGN.md, checked on the source and on a real start of the web app."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.helpers import REPO, clean_env, run_python

# package -> top-level modules it must never import
FORBIDDEN = {
    "rag": {"django", "celery", "kombu", "backend", "workers", "crawler", "scrapy"},
    "crawler": {"django", "celery", "kombu", "backend", "workers", "rag"},
}
# package -> the modules of a forbidden package it may import all the same: the crawler shares
# rag's retry policy and its transient-error type, two standard-library-only modules
ALLOWED = {
    "rag": set(),
    "crawler": {"rag.errors", "rag.retry"},
}
# Loading the web app must not pull in the heavy libraries the workers use.
HEAVY = [
    "scrapy",
    "twisted",
    "unstructured",
    "torch",
    "sentence_transformers",
    "onnxruntime",
    "transformers",
    "fastembed",
    "pdfminer",
    "pytesseract",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def forbidden_imports(path: Path, package: str) -> set[str]:
    """The forbidden top-level packages a file imports, ALLOWED modules aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports = [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from rag import retry": the module is rag, or rag.retry if that is a module
            imports = [[node.module, f"{node.module}.{alias.name}"] for alias in node.names]
        else:
            continue
        for candidates in imports:
            top = candidates[0].split(".")[0]
            if top in FORBIDDEN[package] and not any(
                name == ok or name.startswith(ok + ".")
                for name in candidates
                for ok in ALLOWED[package]
            ):
                found.add(top)
    return found


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        for module in sorted(forbidden_imports(path, package)):
            found.append(f"{path.relative_to(REPO)} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_library_packages_stay_independent(package):
    assert violations(package) == []


def test_checker_catches_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("import os\nfrom django.conf import settings\nfrom . import sibling\n")
    assert imported_modules(module) == {"os", "django"}


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("from rag.retry import RetryPolicy\nfrom rag.errors import TransientError\n", set()),
        ("import rag.retry\nfrom rag import errors, retry\n", set()),
        ("from rag.retry import RetryPolicy\nfrom rag.ingest import ingest\n", {"rag"}),
        ("from rag import retry, ingest\n", {"rag"}),
        ("import rag\n", {"rag"}),
        ("import rag.store.errors\n", {"rag"}),
        ("from rag.errors_extra import X\n", {"rag"}),
        ("from django.conf import settings\n", {"django"}),
    ],
)
def test_crawler_may_import_only_rags_retry_and_errors(tmp_path, source, forbidden):
    module = tmp_path / "crawler_module.py"
    module.write_text(source)
    assert forbidden_imports(module, "crawler") == forbidden
    assert forbidden_imports(module, "rag") == ({"django"} if "django" in source else set())


def test_web_app_starts_without_heavy_libraries(tmp_path):
    code = (
        "import os, sys, json;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'backend.settings.dev';"
        "import backend.asgi;"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "from django.test import Client; Client().get('/healthz'); Client().get('/readyz');"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    result = run_python(code, env=clean_env(LOTSE_VAR_DIR=str(tmp_path / "var")))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_every_middleware_is_async_capable():
    """One sync-only middleware would make Django run every request, the chat stream
    included, through its single sync thread."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    sync_only = [
        path
        for path in settings.MIDDLEWARE
        if not getattr(import_string(path), "async_capable", False)
    ]
    assert sync_only == []
