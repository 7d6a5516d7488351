"""Test questions: the validation rules, and import/export as CSV and JSONL."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.evaluation import transfer
from backend.evaluation.models import TestQuestion
from backend.sources.models import Source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"question": "Wann ist Training?"}, "expected_url"),  # answerable needs its page
        ({"question": "   "}, "question"),
        ({"question": "x" * 1001, "expected_url": "https://v.example/"}, "question"),
        ({"question": "Wetter?", "cannot_answer": True, "expected_url": "https://v.example/"}, "expected_url"),
        ({"question": "Wetter?", "cannot_answer": True, "expected_passage": "Sonne"}, "expected_passage"),
        ({"question": "Satzung?", "expected_url": "https://v.example/s.pdf", "expected_page": 0}, "expected_page"),
        ({"question": "Satzung?", "expected_url": "keine-url"}, "expected_url"),
        ({"question": "Satzung?", "expected_url": "https://v.example/", "alternative_urls": "ftp://x"}, "alternative_urls"),
    ],
)  # fmt: skip
def test_invalid_questions_are_refused_with_the_field_named(fields, field_in_error):
    with pytest.raises(ValidationError) as caught:
        TestQuestion(**fields).full_clean()
    assert field_in_error in caught.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"question": "Wann ist Training?", "expected_url": "https://v.example/training/"},
        {"question": "Wetter in Paris?", "cannot_answer": True},
        {"question": "x" * 1000, "expected_url": "https://v.example/", "expected_page": 3},
    ],
)
def test_valid_questions_pass(fields):
    TestQuestion(**fields).full_clean()


def test_question_whitespace_is_tidied():
    question = TestQuestion(question="  Wann ist\n Training? ", expected_url="https://v.example/")
    question.full_clean()
    assert question.question == "Wann ist Training?"


CSV_SEMICOLONS = (
    "question;language;cannot_answer;expected_url;expected_page;alternative_urls;source\n"
    "Wann ist Kinderturnen?;de;nein;https://v.example/training/;;https://v.example/kinder/;Verein\n"
    'Was kostet die Mitgliedschaft?;en;no;https://v.example/s.pdf;2;"https://v.example/a/\n'
    'https://v.example/b/";\n'
    "Wie ist das Wetter?;;ja;;;;\n"
)


def test_csv_import_with_semicolons_german_flags_and_a_source():
    Source.objects.create(name="Verein", start_urls="https://v.example/")
    report = transfer.import_questions(CSV_SEMICOLONS, "csv")
    assert (report.created, report.updated) == (3, 0)
    children, fee, weather = TestQuestion.objects.order_by("id")
    assert children.source.name == "Verein" and children.alternative_url_list == [
        "https://v.example/kinder/"
    ]
    assert fee.expected_page == 2 and fee.language == "en"
    assert fee.alternative_url_list == ["https://v.example/a/", "https://v.example/b/"]
    assert weather.cannot_answer and weather.language == "de"  # detected from the text


def test_jsonl_import_takes_the_benchmark_field_names_too():
    text = "\n".join(
        [
            json.dumps({"question": "Wie viel kostet es?", "expected_urls": ["https://v.example/a/", "https://v.example/b/"]}),
            "",
            json.dumps({"question": "What is the weather like?", "answerable": False, "language": "en"}),
        ]
    )  # fmt: skip
    assert transfer.import_questions(text, "jsonl").created == 2
    cost, weather = TestQuestion.objects.order_by("id")
    assert cost.expected_urls == ["https://v.example/a/", "https://v.example/b/"]
    assert weather.cannot_answer and weather.language == "en"


def test_a_file_with_bad_lines_imports_nothing_and_names_each_line():
    TestQuestion.objects.create(question="Schon da?", expected_url="https://v.example/")
    text = "\n".join(
        [
            json.dumps({"question": "Gut?", "expected_url": "https://v.example/gut/"}),
            json.dumps({"question": "Ohne Seite?"}),
            "{kaputt",
            json.dumps(["keine", "Zeile"]),
            json.dumps({"question": "Tippfehler?", "expected_ulr": "https://v.example/"}),
            json.dumps({"question": "Welche Quelle?", "expected_url": "https://v.example/", "source": "Nirgendwo"}),
            json.dumps({"question": "Gut?", "expected_url": "https://v.example/gut/"}),
            json.dumps({"question": "Seite?", "expected_url": "https://v.example/", "expected_page": "drei"}),
            json.dumps({"question": "Aktiv?", "expected_url": "https://v.example/", "active": "vielleicht"}),
        ]
    )  # fmt: skip
    with pytest.raises(transfer.ImportFailed) as caught:
        transfer.import_questions(text, "jsonl")
    errors = caught.value.errors
    assert [error.split(":")[0] for error in errors] == [f"line {n}" for n in range(2, 10)]
    assert "expected page" in errors[0]
    assert "not valid JSON" in errors[1] and "not a JSON object" in errors[2]
    assert "expected_ulr" in errors[3]
    assert "Nirgendwo" in errors[4]
    assert "the same question as line 1" in errors[5]
    assert "PDF page" in errors[6] and "vielleicht" in errors[7]
    assert list(TestQuestion.objects.values_list("question", flat=True)) == ["Schon da?"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00q", "not UTF-8"),
        (b"frage,seite\nWann?,https://v.example/\n", "line 1: the header"),
        (b"question\n\n", "no questions"),
        (b"question,expected_url\nWann?,https://v.example/,zu viel\n", "more values than columns"),
    ],
)
def test_unreadable_files_get_one_clear_error(data, message):
    with pytest.raises(transfer.ImportFailed, match=message):
        transfer.import_questions(transfer.decode(data), "csv")
    assert not TestQuestion.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_export_then_import_is_a_round_trip(file_format):
    source = Source.objects.create(name="Verein", start_urls="https://v.example/")
    TestQuestion.objects.create(
        question='Was kostet "Kinderturnen", bitte?',
        expected_url="https://v.example/s.pdf",
        expected_page=4,
        alternative_urls="https://v.example/a/\nhttps://v.example/b/",
        expected_passage="60 Euro",
        source=source,
        note="aus dem Gästebuch; Zeile 2",
    )
    TestQuestion.objects.create(
        question="What's the weather?", language="en", cannot_answer=True, active=False
    )
    fields = [*transfer.COLUMNS]
    before = list(TestQuestion.objects.order_by("id").values(*fields))
    exported = transfer.export_questions(TestQuestion.objects.order_by("id"), file_format)

    again = transfer.import_questions(exported, file_format)
    assert (again.created, again.updated) == (0, 2)  # the same questions: updated, not doubled
    TestQuestion.objects.all().delete()
    assert transfer.import_questions(exported, file_format).created == 2
    assert list(TestQuestion.objects.order_by("id").values(*fields)) == before


def test_import_and_export_commands(tmp_path):
    path = tmp_path / "fragen.csv"
    path.write_text(CSV_SEMICOLONS.replace(";Verein\n", ";\n"), encoding="utf-8")
    out = StringIO()
    call_command("import_test_questions", str(path), stdout=out)
    assert "3 new, 0 updated" in out.getvalue()

    exported = tmp_path / "out.jsonl"
    call_command("export_test_questions", "-o", str(exported), stdout=StringIO())
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["question"] for line in lines][0] == "Wann ist Kinderturnen?"
    out = StringIO()
    call_command("export_test_questions", "--format", "csv", stdout=out)
    assert out.getvalue().startswith(",".join(transfer.COLUMNS))

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Ohne Seite?"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: expected page"):
        call_command("import_test_questions", str(bad))
    assert TestQuestion.objects.count() == 3
