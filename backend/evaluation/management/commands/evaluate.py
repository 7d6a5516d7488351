"""Run the test questions against the live index, exactly as the chat searches it."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.chat.management.commands.search import open_vector_store
from backend.evaluation import report
from backend.evaluation.models import EvaluationRun
from backend.evaluation.selectors import previous_runs
from backend.evaluation.services import active_questions, items_for, run_items
from backend.evaluation.transfer import ImportFailed, decode, format_of, parse
from backend.ops.progress import ProgressBar
from backend.ops.stores import close_stores
from backend.sources.models import Source


class Command(BaseCommand):
    help = (
        "Evaluate retrieval and abstention: recall@1/5/10 of the expected page and passage, "
        "abstention on the questions the site cannot answer, each question's rank. Runs the "
        "active test questions (Admin → Test questions), or those of --file (not stored)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="print one JSON object"
        )
        parser.add_argument("--source", type=int, help="search only this source id")
        parser.add_argument(
            "--file",
            type=Path,
            help="questions from a CSV or JSONL file instead (same columns as the export)",
        )
        parser.add_argument(
            "--store",
            action="store_true",
            help="with --file: keep the run, to compare later runs of the same file with it",
        )

    def handle(self, *args, as_json, source, file, store, **options):
        searched_source = None
        if source is not None:
            searched_source = Source.objects.filter(pk=source).first()
            if searched_source is None:
                raise CommandError(f"There is no source with id {source}.")
        if file is not None:
            questions, question_set = self._file_questions(file), file.name
        else:
            questions, question_set, store = list(active_questions(searched_source)), "", True
            if not questions:
                raise CommandError(
                    "There are no active test questions: add some in the admin "
                    "(Evaluation → Test questions) or import a file with "
                    "`manage.py import_test_questions`."
                )
        open_vector_store()
        run = EvaluationRun(
            trigger=EvaluationRun.Trigger.COMMAND,
            started_by=f"manage.py ({_user()})",
            question_set=question_set,
            source=searched_source,
        )
        if store:
            run.save()
        else:
            run.created_at = timezone.now()
        bar = None if as_json else ProgressBar()
        try:
            run, results = run_items(
                run,
                items_for(questions, searched_source),
                progress=bar.update if bar else None,
                store=store,
            )
        except KeyboardInterrupt:
            raise CommandError("Interrupted: the run is marked as failed.") from None
        except Exception as exc:
            raise CommandError(f"The evaluation failed: {type(exc).__name__}: {exc}") from None
        finally:
            if bar:
                bar.close()
            # closed here, not by the interpreter's shutdown, which makes qdrant-client's
            # local mode print an ignored exception
            close_stores()
        data = report.build(run, results, previous_runs(run))
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self.stdout.write("\n".join(report.text_lines(data)))

    def _file_questions(self, path: Path):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
        try:
            text = decode(data)
        except ImportFailed as exc:
            raise CommandError(f"{path}: {exc}") from None
        parsed = parse(text, format_of(path.name, text))
        if parsed.errors:
            raise CommandError(
                f"{path} has bad lines; nothing was run:\n" + "\n".join(parsed.errors)
            )
        questions = [question for _line, question in parsed.questions if question.active]
        if not questions:
            raise CommandError(f"{path} holds no active questions.")
        return questions


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container without a passwd entry
        return "unknown"
