"""Parse results on disk, keyed by content hash and parser version.

A changed parser (or OCR setting) gets a new key, so stale entries are simply never read again;
clean-up of old files is left to the operator (the folder can be deleted at any time).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from rag.models import ParsedDocument

logger = logging.getLogger(__name__)


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
    path = _path(cache_dir, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a reader in another worker never sees half a file
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document.to_dict(), handle, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError as exc:
        # the cache only saves time; a full disk must not fail the ingest
        logger.warning("could not write parse cache entry %s: %s", path, exc)
