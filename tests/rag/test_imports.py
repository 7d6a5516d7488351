"""rag stays a library: none of Lotse's other parts, no Django or Celery, no torch; and the
web process can import retrieval without loading the parsers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def loaded_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return {name.split(".")[0] for name in json.loads(result.stdout.strip().splitlines()[-1])}


FORBIDDEN = {"django", "celery", "backend", "workers", "crawler", "torch", "unstructured_inference"}


def test_search_side_imports_no_parser():
    loaded = loaded_after("import rag.retrieval, rag.store, rag.ingest, rag.embeddings")
    assert not loaded & (FORBIDDEN | {"unstructured", "pdfminer", "spacy", "pypdf"})


def test_parsing_both_kinds_loads_nothing_forbidden():
    code = (
        "from rag.parsing import parse_html, parse_pdf\n"
        "from tests.rag.conftest import make_pdf\n"
        "parse_html(b'<html><body><main><h1>Hallo</h1><p>Text hier.</p></main></body></html>', 'u')\n"
        "parse_pdf(make_pdf([[('h1', 'Titel'), ('p', 'Ein Absatz.')]]), 'u')\n"
    )
    loaded = loaded_after(code)
    assert "lxml" in loaded and "pypdfium2" in loaded
    # HTML is split by rag.parsing.html_blocks; unstructured and its spaCy model stay out
    assert not loaded & (FORBIDDEN | {"unstructured", "spacy", "en_core_web_sm"})
