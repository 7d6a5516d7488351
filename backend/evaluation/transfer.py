"""Test questions to and from CSV and JSONL files.

One format for the admin, ``manage.py import_test_questions`` / ``export_test_questions`` and
``manage.py evaluate --file``. Every line is checked with the same rules as the admin form; a
file with any bad line imports nothing and names every bad line.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backend.evaluation.models import TestQuestion
from backend.sources.models import Source
from rag.parsing.language import detect_language

COLUMNS = (
    "question",
    "language",
    "cannot_answer",
    "expected_url",
    "expected_page",
    "alternative_urls",
    "expected_passage",
    "source",
    "active",
    "note",
)
# other names accepted on import: the names of rag.evaluation.TestQuestion
ALIASES = ("expected_urls", "answerable")
FORMATS = ("csv", "jsonl")
MAX_BYTES = 10 * 1024 * 1024

_TRUE = {"1", "true", "yes", "y", "ja", "j", "x"}
_FALSE = {"0", "false", "no", "n", "nein", ""}


class ImportFailed(Exception):
    """The file has bad lines; ``errors`` names each one. Nothing was imported."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Parsed:
    """Valid questions (unsaved) with their line numbers, and the errors of the bad lines."""

    questions: list[tuple[int, TestQuestion]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def format_of(name: str, text: str = "") -> str:
    """ "csv" or "jsonl", from the file name, else from the first character."""
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportFailed([_("The file is larger than 10 MB.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([_("The file is not UTF-8 text.")]) from None


def parse(text: str, file_format: str) -> Parsed:
    """Every line checked; nothing is saved."""
    parsed = Parsed()
    rows = _jsonl_rows(text) if file_format == "jsonl" else _csv_rows(text)
    sources = {source.name: source for source in Source.objects.all()}
    seen: dict[tuple, int] = {}
    for line, row in rows:
        if isinstance(row, str):  # the line could not be read at all
            parsed.errors.append(row)
            continue
        try:
            question = _question(row, sources)
        except ValidationError as exc:
            parsed.errors.extend(_line_errors(line, exc))
            continue
        key = (question.question.casefold(), question.language, question.source_id)
        if key in seen:
            parsed.errors.append(
                _("line %(line)s: the same question as line %(first)s.")
                % {"line": line, "first": seen[key]}
            )
            continue
        seen[key] = line
        parsed.questions.append((line, question))
    return parsed


def _jsonl_rows(text: str) -> list[tuple[int, dict | str]]:
    """(line number, its object or why it cannot be read)."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            message = _("line %(line)s: not valid JSON (%(error)s).")
            rows.append((number, message % {"line": number, "error": exc.msg}))
            continue
        if not isinstance(row, dict):
            row = _("line %(line)s: not a JSON object.") % {"line": number}
        rows.append((number, row))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict | str]]:
    """(line number, its values by column or why it cannot be read)."""
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    if "question" not in header:
        message = _(
            "line 1: the header must name the columns, at least “question” (known: %(known)s)."
        )
        return [(1, message % {"known": ", ".join(COLUMNS)})]
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if None in row:
                message = _("line %(line)s: more values than columns.")
                rows.append((reader.line_num, message % {"line": reader.line_num}))
                continue
            if not any((value or "").strip() for value in row.values()):
                continue
            rows.append((reader.line_num, {k: v for k, v in row.items() if v is not None}))
    except csv.Error as exc:
        rows.append(
            (
                reader.line_num,
                _("line %(line)s: %(error)s") % {"line": reader.line_num, "error": exc},
            )
        )
    return rows


def _flag(value, name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError({name: _("“%(value)s” is not yes or no.") % {"value": value}})


def _url_lines(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(url).strip() for url in value if str(url).strip())
    return "\n".join(str(value).split())


def _page(value) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        page = int(str(value).strip())
    except ValueError:
        page = 0
    if page < 1:
        raise ValidationError({"expected_page": _("The PDF page must be a number from 1.")})
    return page


def _source(value, sources: dict[str, Source]) -> Source | None:
    if value is None or str(value).strip() == "":
        return None
    name = str(value).strip()
    if name in sources:
        return sources[name]
    by_id = {str(source.pk): source for source in sources.values()}
    if name in by_id:
        return by_id[name]
    raise ValidationError({"source": _("There is no source “%(name)s”.") % {"name": name}})


def _question(row: dict, sources: dict[str, Source]) -> TestQuestion:
    unknown = sorted(set(row) - set(COLUMNS) - set(ALIASES))
    if unknown:
        raise ValidationError(
            _("unknown field(s) %(fields)s (known: %(known)s).")
            % {"fields": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    expected_url = str(row.get("expected_url") or "").strip()
    alternatives = _url_lines(row.get("alternative_urls")).split()
    urls = row.get("expected_urls")
    if isinstance(urls, list) and urls:
        urls = [str(url).strip() for url in urls if str(url).strip()]
        expected_url = expected_url or (urls[0] if urls else "")
        alternatives += [url for url in urls if url != expected_url and url not in alternatives]
    cannot_answer = _flag(row.get("cannot_answer"), "cannot_answer", False)
    if "answerable" in row:
        cannot_answer = not _flag(row["answerable"], "answerable", True)
    text = str(row.get("question") or "")
    language = str(row.get("language") or "").strip().lower()
    question = TestQuestion(
        question=text,
        language=language or detect_language(text, "de", short=True),
        cannot_answer=cannot_answer,
        expected_url=expected_url,
        expected_page=_page(row.get("expected_page")),
        alternative_urls="\n".join(alternatives),
        expected_passage=str(row.get("expected_passage") or "").strip(),
        source=_source(row.get("source"), sources),
        active=_flag(row.get("active"), "active", True),
        note=str(row.get("note") or "").strip(),
    )
    question.full_clean(exclude=["created_at", "updated_at"])
    return question


def _line_errors(line: int, error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return [_("line %(line)s: %(error)s") % {"line": line, "error": m} for m in error.messages]
    messages = []
    for name, errors in error.message_dict.items():
        label = _field_label(name)
        for message in errors:
            messages.append(
                _("line %(line)s: %(field)s: %(error)s")
                % {"line": line, "field": label, "error": message}
            )
    return messages


def _field_label(name: str) -> str:
    try:
        return str(TestQuestion._meta.get_field(name).verbose_name)
    except Exception:
        return name


def import_questions(text: str, file_format: str) -> ImportReport:
    """All questions of the file, or none: an existing question with the same text, language
    and source is updated (so importing an export again changes nothing), the others added."""
    parsed = parse(text, file_format)
    if parsed.errors:
        raise ImportFailed(parsed.errors)
    if not parsed.questions:
        raise ImportFailed([_("The file holds no questions.")])
    created = updated = 0
    with transaction.atomic():
        for _line, question in parsed.questions:
            existing = TestQuestion.objects.filter(
                question=question.question, language=question.language, source=question.source
            ).first()
            if existing is None:
                question.save()
                created += 1
                continue
            for name in COLUMNS:
                setattr(existing, name, getattr(question, name))
            existing.save()
            updated += 1
    return ImportReport(created=created, updated=updated)


def _row(question: TestQuestion) -> dict:
    return {
        "question": question.question,
        "language": question.language,
        "cannot_answer": question.cannot_answer,
        "expected_url": question.expected_url,
        "expected_page": question.expected_page,
        "alternative_urls": question.alternative_url_list,
        "expected_passage": question.expected_passage,
        "source": question.source.name if question.source else "",
        "active": question.active,
        "note": question.note,
    }


def export_questions(questions, file_format: str) -> str:
    rows = [_row(question) for question in questions.select_related("source")]
    if file_format == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        row["cannot_answer"] = "yes" if row["cannot_answer"] else "no"
        row["active"] = "yes" if row["active"] else "no"
        row["alternative_urls"] = "\n".join(row["alternative_urls"])
        row["expected_page"] = "" if row["expected_page"] is None else row["expected_page"]
        writer.writerow(row)
    return out.getvalue()
