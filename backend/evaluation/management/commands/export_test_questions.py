"""Export the test questions as CSV or JSONL (the format import_test_questions reads)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.evaluation import transfer
from backend.evaluation.models import TestQuestion


class Command(BaseCommand):
    help = "Export all test questions (or only the active ones) as JSONL or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=transfer.FORMATS, help="default: by -o, else jsonl")
        parser.add_argument("-o", "--output", type=Path, help="a file (default: standard output)")
        parser.add_argument("--active", action="store_true", help="only the active questions")

    def handle(self, *args, format: str | None, output: Path | None, active: bool, **options):
        file_format = format or (transfer.format_of(output.name) if output else "jsonl")
        questions = TestQuestion.objects.order_by("id")
        if active:
            questions = questions.filter(active=True)
        text = transfer.export_questions(questions, file_format)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
        self.stdout.write(f"Exported {questions.count()} test questions to {output}.")
