"""Parse results on disk, keyed by content hash and parser version.

A changed parser (or OCR setting) gets a new key, so stale entries are simply never read again;
clean-up of old entries is left to the operator (the folder can be deleted at any time).

A write goes to a temporary file that is renamed into place, so a reader never sees half an
entry. The cache only saves time: a write that fails for any reason (full disk, text the
encoder cannot take) is logged and the ingest goes on, and it never leaves its temporary file
behind. Temporary files of a process killed mid-write are removed by the first write of each
later process once they are an hour old.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from rag.models import ParsedDocument

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
# A temporary file this old belongs to no running write (one takes seconds at most).
STALE_TEMP_S = 3600.0
_swept: set[str] = set()


def cache_key(body: bytes, kind: str, parser_fingerprint: str) -> str:
    digest = hashlib.sha256(body).hexdigest()
    variant = hashlib.sha256(f"{kind}|{parser_fingerprint}".encode()).hexdigest()[:16]
    return f"{digest}-{variant}"


def _path(cache_dir: str, key: str) -> Path:
    return Path(cache_dir) / key[:2] / f"{key}.json"


def load(cache_dir: str, key: str, url: str) -> ParsedDocument | None:
    """The cached parse with ``url`` set to the caller's (the same bytes may live at two URLs)."""
    path = _path(cache_dir, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["url"] = url
        return ParsedDocument.from_dict(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        # a truncated or outdated file is just a miss; the fresh parse overwrites it
        logger.warning("ignoring unreadable parse cache entry %s: %s", path, exc)
        return None


def store(cache_dir: str, key: str, document: ParsedDocument) -> None:
    if cache_dir not in _swept:
        _swept.add(cache_dir)
        remove_stale_temp_files(cache_dir)
    path = _path(cache_dir, key)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=TEMP_SUFFIX)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # ASCII escapes: text extracted from a PDF may hold lone surrogates, which UTF-8
            # cannot encode; "\ud800" in JSON reads back as exactly the same string
            # (one string, one write: json.dump writes piece by piece, several times slower)
            handle.write(json.dumps(document.to_dict(), ensure_ascii=True))
        os.replace(tmp, path)
        tmp = None
    except (OSError, ValueError, TypeError) as exc:
        # the cache only saves time; a full disk or odd text must not fail the ingest
        logger.warning("could not write parse cache entry %s: %s", path, exc)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def remove_stale_temp_files(cache_dir: str, older_than_s: float = STALE_TEMP_S) -> int:
    """Delete temporary files left by writers that were killed; how many were removed."""
    cutoff = time.time() - older_than_s
    removed = 0
    for tmp in Path(cache_dir).glob(f"*/*{TEMP_SUFFIX}"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError:
            continue  # gone already, or not ours to delete
    if removed:
        logger.info("removed %s stale temporary files from the parse cache %s", removed, cache_dir)
    return removed
