"""Import test questions from a CSV or JSONL file: every line, or none."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.evaluation import transfer


class Command(BaseCommand):
    help = (
        "Import test questions from CSV or JSONL (the columns of an export). A question with "
        "the same text, language and source is updated; a file with a bad line imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=transfer.FORMATS, help="default: by file name")

    def handle(self, *args, file: Path, format: str | None, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        try:
            text = transfer.decode(data)
            report = transfer.import_questions(text, format or transfer.format_of(file.name, text))
        except transfer.ImportFailed as exc:
            raise CommandError(f"{file}: nothing was imported.\n" + "\n".join(exc.errors)) from None
        self.stdout.write(
            f"Imported {file}: {report.created} new, {report.updated} updated test questions."
        )
