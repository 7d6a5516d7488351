"""The admin's evaluation pages: editors may, staff without the role may not."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backend.evaluation.models import EvaluationRun, TestQuestion
from backend.evaluation.services import execute_run
from backend.ops.roles import EDITORS
from tests.evaluation.conftest import NOT_INDEXED_URL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    """The tasks the admin enqueues, instead of running them in the background."""
    calls = []
    monkeypatch.setattr(
        "backend.evaluation.services.enqueue_on_commit", lambda *args: calls.append(args)
    )
    return calls


@pytest.fixture
def staff_without_role(client):
    client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
    return client


def start(client, **data):
    return client.post(reverse("admin:evaluation_evaluationrun_start"), data)


def test_editors_get_the_evaluation_permissions():
    codenames = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    assert {"add_testquestion", "change_testquestion", "delete_testquestion"} <= codenames
    assert {"view_evaluationrun", "add_evaluationrun"} <= codenames
    assert "delete_evaluationrun" not in codenames  # the history stays


@pytest.mark.usefixtures("corpus")
def test_editor_starts_a_run_and_reads_every_question(editor_client, questions, sent):
    response = start(editor_client)
    run = EvaluationRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:evaluation_evaluationrun_change", args=[run.pk])
    assert (run.status, run.trigger, run.started_by, run.total) == ("queued", "admin", "editor", 5)
    assert sent == [("lotse.rag.evaluate", run.pk)]

    queued_page = editor_client.get(response.url).content.decode()
    assert "evaluation-progress" in queued_page  # polls while queued
    progress = editor_client.get(
        reverse("admin:evaluation_evaluationrun_progress", args=[run.pk])
    ).json()
    assert (progress["status"], progress["active"], progress["done"]) == ("queued", True, 0)

    execute_run(run.pk)  # what the worker does with the task
    progress = editor_client.get(
        reverse("admin:evaluation_evaluationrun_progress", args=[run.pk])
    ).json()
    assert (progress["status"], progress["active"], progress["done"]) == ("finished", False, 5)

    page = editor_client.get(response.url).content.decode()
    assert "evaluation-progress" not in page
    assert page.count('data-verdict="found"') == 3
    assert 'data-verdict="not_indexed"' in page and NOT_INDEXED_URL in page
    assert 'data-verdict="abstained_right"' in page
    assert "/admin/retrieval/?question=Wann+ist+Kinderturnen%3F&amp;k=10" in page
    assert 'data-figure="page_recall@5"' in page

    questions_page = editor_client.get(
        reverse("admin:evaluation_testquestion_changelist"),
        {"o": "6"},  # by latest rank
    ).content.decode()
    assert questions_page.count('<td class="field-last_rank">1</td>') == 3


@pytest.mark.usefixtures("corpus")
def test_the_run_list_shows_the_latest_figures_and_a_chart_of_earlier_runs(
    editor_client, questions, sent
):
    url = reverse("admin:evaluation_evaluationrun_changelist")
    page = editor_client.get(url).content.decode()
    assert 'id="start-evaluation"' in page and 'id="evaluation-history"' not in page
    for _ in range(2):
        start(editor_client)
        execute_run(EvaluationRun.objects.filter(status="queued").get().pk)
    page = editor_client.get(url).content.decode()
    assert 'id="evaluation-history"' in page and "<polyline" in page and "<title>#" in page
    assert 'data-figure="page_recall@1"' in page
    assert "100 %" in page  # recall in the history table
    assert (
        reverse("admin:evaluation_evaluationrun_changelist")
        in editor_client.get(reverse("admin:index")).content.decode()
    )


def test_a_second_start_while_one_is_queued_changes_nothing(editor_client, questions, sent):
    start(editor_client)
    response = editor_client.post(reverse("admin:evaluation_evaluationrun_start"), follow=True)
    assert "already queued" in response.content.decode()
    assert EvaluationRun.objects.count() == 1 and len(sent) == 1


def test_starting_without_active_questions_says_so(editor_client, sent):
    response = editor_client.post(reverse("admin:evaluation_evaluationrun_start"), follow=True)
    assert "no active test questions" in response.content.decode()
    assert not EvaluationRun.objects.exists() and not sent


def test_editor_imports_and_exports_test_questions(editor_client):
    url = reverse("admin:evaluation_testquestion_import")
    changelist = reverse("admin:evaluation_testquestion_changelist")
    assert f'href="{url}"' in editor_client.get(changelist).content.decode()
    assert editor_client.get(url).status_code == 200
    bad = SimpleUploadedFile(
        "fragen.csv",
        b"question,expected_url\nWann ist Training?,https://v.example/\nOhne Seite?,\n",
    )
    page = editor_client.post(url, {"file": bad}).content.decode()
    assert "Nothing was imported" in page and "line 3:" in page
    assert not TestQuestion.objects.exists()

    good = SimpleUploadedFile(
        "fragen.jsonl",
        b'{"question": "Wann ist Training?", "expected_url": "https://v.example/"}\n',
    )
    response = editor_client.post(url, {"file": good}, follow=True)
    assert "1 new, 0 updated" in response.content.decode()
    question = TestQuestion.objects.get()

    export = editor_client.post(
        reverse("admin:evaluation_testquestion_changelist"),
        {"action": "export_csv", "_selected_action": [question.pk]},
    )
    assert export["Content-Type"].startswith("text/csv")
    assert "Wann ist Training?,de,no,https://v.example/" in export.content.decode()


def test_editor_adds_a_question_and_the_form_explains_a_missing_page(editor_client):
    url = reverse("admin:evaluation_testquestion_add")
    page = editor_client.post(url, {"question": "Wann ist Training?", "language": "de"})
    assert page.status_code == 200
    assert "Give the page that should answer the question" in page.content.decode()
    response = editor_client.post(
        url,
        {"question": "Wann ist Training?", "language": "de", "expected_url": "https://v.example/"},
    )
    assert response.status_code == 302
    question = TestQuestion.objects.get()
    change = editor_client.get(
        reverse("admin:evaluation_testquestion_change", args=[question.pk])
    ).content.decode()
    assert "/admin/retrieval/?question=Wann+ist+Training%3F" in change


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "evaluation_testquestion_changelist", []),
        ("get", "evaluation_testquestion_add", []),
        ("get", "evaluation_testquestion_import", []),
        ("get", "evaluation_evaluationrun_changelist", []),
        ("get", "evaluation_evaluationrun_change", ["run"]),
        ("get", "evaluation_evaluationrun_progress", ["run"]),
        ("post", "evaluation_evaluationrun_start", []),
    ],
)
def test_staff_without_the_role_is_refused(staff_without_role, questions, method, name, args):
    run = EvaluationRun.objects.create()
    url = reverse(f"admin:{name}", args=[run.pk if arg == "run" else arg for arg in args])
    assert getattr(staff_without_role, method)(url).status_code == 403
    assert not EvaluationRun.objects.exclude(pk=run.pk).exists()
