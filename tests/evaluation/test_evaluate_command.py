"""manage.py evaluate against the chat tests' small indexed site."""

from __future__ import annotations

import json
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from backend.chat import retrieval
from backend.documents.models import Document
from backend.evaluation.models import EvaluationResult, EvaluationRun, TestQuestion
from backend.evaluation.runner import url_variants
from backend.sources.models import Source
from tests.evaluation.conftest import NOT_INDEXED_URL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://v.example/a", ["https://v.example/a", "https://v.example/a/"]),
        ("https://V.example/a/#top", ["https://V.example/a/#top", "https://v.example/a", "https://v.example/a/"]),
        ("https://v.example/a?b=1", ["https://v.example/a/?b=1", "https://v.example/a?b=1"]),
        ("https://v.example", ["https://v.example", "https://v.example/"]),
    ],
)  # fmt: skip
def test_url_variants_cover_the_spellings_of_one_page(url, expected):
    assert url_variants(url) == sorted(expected)


def evaluate(*args) -> dict:
    out = StringIO()
    call_command("evaluate", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def by_question(report: dict) -> dict[str, dict]:
    return {result["question"]: result for result in report["results"]}


@pytest.mark.usefixtures("corpus")
def test_json_report_has_ranks_figures_links_and_not_indexed_pages(questions):
    report = evaluate()
    results = by_question(report)
    assert len(results) == 5  # the inactive question is not asked

    fee = results["Wie hoch ist der Jahresbeitrag für Kinder?"]
    assert (fee["page_rank"], fee["passage_rank"], fee["verdict"]) == (1, 1, "found")
    pdf = results["Wann findet die Mitgliederversammlung statt?"]
    assert (pdf["page_rank"], pdf["top_hits"][0]["page"]) == (1, 2)

    missing = results["Wann ist das Sommerfest?"]
    assert missing["verdict"] == "not_indexed" and missing["expected_indexed"] is False
    assert missing["expected_urls"] == [NOT_INDEXED_URL]
    assert missing["index_status"] == "never_crawled" and "Never crawled" in missing["index_note"]

    weather = results["Wie ist das Wetter in Paris?"]
    assert weather["abstained"] and weather["verdict"] == "abstained_right"

    link = urlsplit(fee["debugger"])
    assert link.path == "/admin/retrieval/"
    assert parse_qs(link.query) == {"question": [fee["question"]], "k": ["10"]}

    summary = report["summary"]
    # the page that is not indexed is reported, not counted as a miss
    assert (summary["answerable"], summary["not_indexed"]) == (4, 1)
    assert summary["page_recall"] == {"1": 1.0, "5": 1.0, "10": 1.0}
    assert summary["passage_recall"]["1"] == 1.0  # two questions name a passage, both found
    assert summary["abstention_rate"] == 1.0
    assert any("not in the index" in warning for warning in report["warnings"])
    assert report["searched"]["mode"] == "hybrid"  # the bundled model is the default
    assert report["searched"]["indexed_passages"] == 6
    assert report["searched"]["chat"]["top_k"] == 6


@pytest.mark.usefixtures("corpus")
def test_a_page_that_failed_to_index_says_why(questions):
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    Document.objects.create(
        source=source, url=NOT_INDEXED_URL, status="failed", error="broken PDF: no pages"
    )
    missing = by_question(evaluate())["Wann ist das Sommerfest?"]
    assert (missing["verdict"], missing["index_status"]) == ("not_indexed", "failed")
    assert missing["index_note"] == "Indexing failed: broken PDF: no pages"


@pytest.mark.usefixtures("corpus")
def test_run_is_stored_and_the_next_run_is_compared_with_it(questions, monkeypatch):
    first = evaluate()
    run = EvaluationRun.objects.get(pk=first["run"])
    assert run.status == "finished" and run.trigger == "command" and run.total == 5
    assert run.started_by.startswith("manage.py (")
    assert run.results.count() == 5
    assert first["compared_with"] is None

    # a setting that makes retrieval worse: the chat's ranking turned upside down
    real = retrieval.find_passages

    def reversed_ranking(question, source_ids, config, **kwargs):
        found = real(question, source_ids, config, **kwargs)
        return retrieval.Passages(
            ranked=found.ranked[::-1],
            relevant=found.relevant,
            judgements=found.judgements[::-1],
        )

    monkeypatch.setattr(retrieval, "find_passages", reversed_ranking)
    second = evaluate()
    assert second["compared_with"] == first["run"]
    recall_at_1 = next(row for row in second["comparison"] if row["key"] == "page_recall@1")
    assert recall_at_1["before"] == 1.0 and recall_at_1["now"] < 1.0 and recall_at_1["worse"]
    worse = [result for result in second["results"] if result["got_worse"]]
    assert worse and all(result["previous_rank"] == 1 for result in worse)
    assert [earlier["run"] for earlier in second["previous"]] == [first["run"]]


@pytest.mark.usefixtures("corpus")
def test_the_evaluation_asks_the_chats_own_retrieval_and_relevance_decision(questions, monkeypatch):
    """Ranks come from find_passages (deeper, for recall@10), abstention from the chat's own
    call with its own config: one passage judged irrelevant there means "I don't know"."""
    real = retrieval.find_passages
    calls = []

    def nothing_relevant(question, source_ids, config, **kwargs):
        calls.append((question, config.top_k))
        found = real(question, source_ids, config, **kwargs)
        return retrieval.Passages(ranked=found.ranked, relevant=[], judgements=found.judgements)

    monkeypatch.setattr(retrieval, "find_passages", nothing_relevant)
    report = evaluate()
    assert {top_k for _q, top_k in calls} == {6, 10}
    assert ("Wann ist Kinderturnen?", 6) in calls
    summary = report["summary"]
    assert summary["false_abstention_rate"] == 1.0  # every answerable question abstained
    assert summary["page_recall"]["1"] == 1.0  # while the ranking itself is unchanged


@pytest.mark.usefixtures("corpus")
def test_text_report_reads_like_the_json(questions):
    evaluate()
    out = StringIO()
    call_command("evaluate", stdout=out)
    text = out.getvalue()
    assert "page recall@5" in text and "abstention (cannot answer)" in text
    assert "not in the index: " + NOT_INDEXED_URL in text
    assert "/admin/retrieval/?question=Wann+ist+Kinderturnen%3F&k=10" in text
    assert "Earlier runs:" in text
    assert "(before = run #" in text


@pytest.mark.usefixtures("corpus")
def test_source_limits_the_search(questions):
    Source.objects.create(pk=2, name="Geschäftsstelle", start_urls="https://verein.example/")
    report = evaluate("--source", "2")  # source 2 holds only the Geschäftsstelle page
    fee = by_question(report)["Wie hoch ist der Jahresbeitrag für Kinder?"]
    # not found there, but the page is in the index (written without its trailing slash):
    # a retrieval miss, not a crawl problem
    assert (fee["page_rank"], fee["expected_indexed"], fee["verdict"]) == (None, True, "missed")
    assert all(
        hit["url"] == "https://verein.example/geschaeftsstelle/"
        for result in report["results"]
        for hit in result["top_hits"]
    )
    with pytest.raises(CommandError, match="no source with id 99"):
        call_command("evaluate", "--source", "99")


@pytest.mark.usefixtures("corpus")
def test_file_questions_run_without_being_stored(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        json.dumps(
            {
                "question": "Wann ist Kinderturnen?",
                "expected_urls": ["https://verein.example/training/"],
            }
        )
        + "\n"
        + json.dumps({"question": "Wie ist das Wetter in Paris?", "answerable": False})
        + "\n",
        encoding="utf-8",
    )
    report = evaluate("--file", str(path))
    assert report["run"] is None and report["question_set"] == "set.jsonl"
    assert report["summary"]["page_recall"]["1"] == 1.0
    assert report["summary"]["abstention_rate"] == 1.0
    assert not EvaluationRun.objects.exists() and not TestQuestion.objects.exists()

    stored = evaluate("--file", str(path), "--store")
    again = evaluate("--file", str(path), "--store")
    assert again["compared_with"] == stored["run"]
    assert EvaluationRun.objects.filter(question_set="set.jsonl").count() == 2
    assert EvaluationResult.objects.filter(test_question__isnull=False).count() == 0


def test_bad_file_names_each_line_and_runs_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "question,expected_url\n"
        "Wann ist Kinderturnen?,https://verein.example/training/\n"
        "Ohne Seite?,\n"
        "Kaputt,keine-url\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as caught:
        call_command("evaluate", "--file", str(path))
    message = str(caught.value)
    assert "line 3:" in message and "line 4:" in message and "line 2:" not in message
    assert "nothing was run" in message
    assert not EvaluationRun.objects.exists()


def test_no_questions_is_a_clear_error():
    with pytest.raises(CommandError, match="no active test questions"):
        call_command("evaluate")


@pytest.mark.usefixtures("corpus")
def test_empty_index_says_so_and_reports_every_page_as_not_indexed(questions):
    with override_settings(QDRANT_COLLECTION_PREFIX="emptytest"):
        report = evaluate()
    assert report["searched"]["indexed_passages"] == 0
    assert any("The index is empty" in warning for warning in report["warnings"])
    assert {r["verdict"] for r in report["results"] if not r["cannot_answer"]} == {"not_indexed"}
    recall = next(row for row in report["comparison"] if row["key"] == "page_recall@5")
    assert recall["now"] is None  # nothing to count, not "0 % found"
    assert report["summary"]["abstention_rate"] == 1.0


@pytest.mark.usefixtures("corpus")
def test_stopwords_and_a_1000_character_question_give_results(db):
    TestQuestion.objects.create(
        question="Was ist das und wie und wo?", expected_url="https://verein.example/training/"
    )
    long_question = ("Wann ist Kinderturnen in der Sporthalle am Marktplatz? " * 20)[:1000]
    TestQuestion.objects.create(
        question=long_question, expected_url="https://verein.example/training/"
    )
    results = evaluate()["results"]
    stopwords, long = results
    # only stopwords: nothing to answer from, whatever the dense side ranks
    assert (stopwords["abstained"], stopwords["refusal"]) == (True, "")
    assert stopwords["verdict"] in ("missed", "abstained_wrongly")
    assert long["page_rank"] == 1 and long["refusal"] == ""


@pytest.mark.usefixtures("corpus")
def test_a_question_the_chat_would_refuse_is_reported_not_crashed(db):
    TestQuestion.objects.create(
        question="Wann ist Kinderturnen?" + " noch" * 10,
        expected_url="https://verein.example/training/",
    )
    with override_settings(CHAT_MAX_MESSAGE_CHARS=20):  # lowered after the question was saved
        (result,) = evaluate()["results"]
    assert result["verdict"] == "refused" and result["abstained"]
    assert result["refusal"] == "message_too_long"
    assert result["refusal_note"] == "The chat refuses this question: longer than the chat accepts"


def test_an_interrupted_run_does_not_stay_running(questions, monkeypatch):
    def interrupted(item, config):
        raise KeyboardInterrupt

    monkeypatch.setattr("backend.evaluation.runner.ask", interrupted)
    monkeypatch.setattr("backend.evaluation.services.describe_search", lambda config: {})
    with pytest.raises(CommandError, match="Interrupted"):
        call_command("evaluate")
    run = EvaluationRun.objects.get()
    assert (run.status, run.error) == ("failed", "KeyboardInterrupt")
