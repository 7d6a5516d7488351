"""Remove what deletions left in the index: chunks of deleted or gone documents, and the
page-store pages of deleted sources (the daily maintenance task runs the same)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from backend.documents.cleanup import prune_index
from backend.ops.embedded import EmbeddedStoresLocked
from backend.ops.stores import vector_client


def open_vector_store() -> None:
    """Fail with one sentence when `make run` holds the embedded stores."""
    try:
        vector_client()
    except EmbeddedStoresLocked as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = (
        "Remove orphaned chunks (their document or source no longer exists, or the page is "
        "gone) from the index and deleted sources' pages from the page store."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be removed"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, dry_run: bool, as_json: bool, **options):
        open_vector_store()
        report = prune_index(dry_run=dry_run)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"{verb} the chunks of {len(report.orphaned_documents)} orphaned documents "
            f"({report.documents_in_index} documents in {report.collection or 'no collection'}) "
            f"and the stored pages of {len(report.orphaned_sources)} deleted sources."
        )
