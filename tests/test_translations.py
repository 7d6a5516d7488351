"""The German catalogues are complete and their compiled .mo files are up to date.

gettext's own tools judge the .po files (msgattrib finds untranslated and fuzzy entries,
msgfmt --check compiles them); the .mo files are read by their documented format and
compared with a fresh compilation of their .po, entry by entry.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require
from tests.helpers import REPO

CATALOGUES = [
    REPO / "backend" / "locale" / "de" / "LC_MESSAGES" / "django.po",
    REPO / "backend" / "widget" / "locale" / "de" / "LC_MESSAGES" / "django.po",
]
IDS = [str(path.relative_to(REPO)) for path in CATALOGUES]


@pytest.fixture(autouse=True)
def gettext_tools() -> None:
    require(shutil.which("msgfmt") and shutil.which("msgattrib"), "gettext (msgfmt, msgattrib)")


def entries_where(po: Path, option: str) -> list[str]:
    """The msgid lines of the entries msgattrib selects with ``option``."""
    out = subprocess.run(
        ["msgattrib", option, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    ).stdout
    # when it selects anything, the catalogue's header (msgid "") comes first
    return [line for line in out.splitlines() if line.startswith("msgid ")][1:]


def read_mo(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a compiled catalogue (GNU .mo format: a header of 7 words, then two
    tables of (length, offset) pairs for the originals and the translations)."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, _revision, count, originals, translations = struct.unpack(order + "5I", data[:20])
    catalogue = {}
    for index in range(count):
        length, offset = struct.unpack(order + "2I", data[originals + 8 * index :][:8])
        msgid = data[offset : offset + length].decode("utf-8")
        length, offset = struct.unpack(order + "2I", data[translations + 8 * index :][:8])
        catalogue[msgid] = data[offset : offset + length].decode("utf-8")
    return catalogue


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_every_entry_is_translated_and_none_is_fuzzy(po: Path):
    assert entries_where(po, "--untranslated") == []
    assert entries_where(po, "--only-fuzzy") == []


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_the_compiled_catalogue_matches_its_source(po: Path, tmp_path):
    fresh = tmp_path / "django.mo"
    # --check: placeholders and plural forms agree between msgid and msgstr
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(fresh), str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    committed = read_mo(po.with_suffix(".mo"))
    expected = read_mo(fresh)
    assert len(expected) > 1
    stale = sorted(set(expected.items()) ^ set(committed.items()))
    assert stale == [], f"recompile {po.with_suffix('.mo').relative_to(REPO)} (msgfmt)"
