"""The parse cache: any text round-trips, a failed write loses nothing and leaves no file."""

from __future__ import annotations

import os
import time

import pytest

from rag.models import Block, ParsedDocument
from rag.parsing import cache


def document(text: str) -> ParsedDocument:
    return ParsedDocument(
        url="https://verein.example/satzung.pdf",
        content_type="pdf",
        title="Satzung \ud83d",
        language="de",
        blocks=(Block(kind="paragraph", text=text, page=1),),
        parser_version="test",
        page_count=1,
    )


@pytest.fixture(autouse=True)
def fresh_sweep(monkeypatch):
    monkeypatch.setattr(cache, "_swept", set())


def temp_files(folder) -> list:
    return list(folder.rglob(f"*{cache.TEMP_SUFFIX}"))


def test_text_with_lone_surrogates_is_cached_exactly(tmp_path):
    # what pdfminer hands out for broken ToUnicode maps: halves of surrogate pairs
    original = document("Beitrag \ud800 120 \udfff Euro – Größe")
    cache.store(str(tmp_path), "ab" + "0" * 62, original)
    loaded = cache.load(str(tmp_path), "ab" + "0" * 62, original.url)
    assert loaded == original
    assert temp_files(tmp_path) == []


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch, caplog):
    def broken_dumps(*args, **kwargs):
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(cache.json, "dumps", broken_dumps)
    cache.store(str(tmp_path), "cd" + "0" * 62, document("x"))  # does not raise
    assert temp_files(tmp_path) == []
    assert "could not write parse cache entry" in caplog.text
    assert cache.load(str(tmp_path), "cd" + "0" * 62, "u") is None


def test_a_full_disk_leaves_no_temporary_file(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", full)
    cache.store(str(tmp_path), "ef" + "0" * 62, document("x"))
    assert temp_files(tmp_path) == []


def test_stale_temporary_files_of_killed_writers_are_removed(tmp_path):
    folder = tmp_path / "ab"
    folder.mkdir()
    stale, fresh = folder / "old123.tmp", folder / "new456.tmp"
    stale.write_text("{half")
    fresh.write_text("{half")  # maybe another worker writing right now
    hour_ago = time.time() - 2 * cache.STALE_TEMP_S
    os.utime(stale, (hour_ago, hour_ago))
    cache.store(str(tmp_path), "ab" + "1" * 62, document("x"))  # the process's first write
    assert not stale.exists() and fresh.exists()
    assert cache.load(str(tmp_path), "ab" + "1" * 62, "u") is not None
