"""Search the index like the chat does, to judge retrieval: one query or a file of queries."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.chat.retrieval import chunk_scores, retrieve
from backend.ops.embedded import EmbeddedStoresLocked
from backend.ops.stores import vector_client

logger = logging.getLogger(__name__)


def open_vector_store() -> None:
    """Fail with one sentence when `make run` holds the embedded stores."""
    try:
        vector_client()
    except EmbeddedStoresLocked as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = "Show the best passages for a query (or one per line of --file)."

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="?", help="the question to search for")
        parser.add_argument("--file", type=Path, help="a text file with one query per line")
        parser.add_argument("-k", type=int, default=5, help="passages per query (default 5)")
        parser.add_argument(
            "--source", type=int, action="append", default=[], help="only this source id"
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="one JSON object per query and line"
        )

    def handle(self, *args, query, file, k, source, as_json, **options):
        if (query is None) == (file is None):
            raise CommandError("Give a QUERY or --file QUERIES.txt (not both).")
        if k < 1:
            raise CommandError("-k must be at least 1.")
        if file is not None:
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
            queries = [line.strip() for line in lines if line.strip()]
        else:
            queries = [query]
        source_ids = [str(s) for s in source]
        open_vector_store()
        for text in queries:
            chunks = retrieve(text, source_ids, k)
            results = [
                {
                    "rank": rank,
                    **chunk_scores(chunk),
                    "url": chunk.url,
                    "title": chunk.title,
                    "page": chunk.page,
                    "text": chunk.text,
                }
                for rank, chunk in enumerate(chunks, start=1)
            ]
            if as_json:
                self._write_json({"query": text, "results": results})
            else:
                self._write_table(text, results)

    def _write_json(self, record: dict) -> None:
        self.stdout.write(json.dumps(record, ensure_ascii=False))

    def _write_table(self, query: str, results: list[dict]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(query))
        if not results:
            self.stdout.write("  (nothing found)")
        for result in results:
            page = f" p.{result['page']}" if result["page"] else ""
            self.stdout.write(
                f"  {result['rank']:>2}. {result['score']:8.3f}  {result['url']}{page}"
            )
            self.stdout.write(f"      {result['title']}: {' '.join(result['text'].split())[:160]}")
