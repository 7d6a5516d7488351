"""What the import contract (pyproject.toml, tests/test_import_contracts.py) cannot see: what
a real start of the web app loads, and that its middlewares are all async-capable."""

from __future__ import annotations

import json

from tests.helpers import clean_env, run_python

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
