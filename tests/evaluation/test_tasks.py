"""The evaluation task: runs twice, effect once; the run after a crawl; lost runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from backend.documents.models import Document
from backend.evaluation.models import EvaluationResult, EvaluationRun
from backend.evaluation.services import fail_abandoned_runs, start_run
from backend.sources.models import CrawlRun, Source
from backend.sources.signals import crawl_ended
from workers.tasks.rag import evaluate_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))

    monkeypatch.setattr("backend.evaluation.services.enqueue_on_commit", record)
    monkeypatch.setattr("backend.evaluation.services.enqueue", record)
    return calls


@pytest.fixture
def source(db):
    return Source.objects.create(name="Verein", start_urls="https://verein.example/")


def finished_crawl(source: Source, **counters) -> CrawlRun:
    return CrawlRun.objects.create(source=source, status=CrawlRun.Status.FINISHED, **counters)


@pytest.mark.usefixtures("corpus")
def test_evaluate_task_runs_twice_effect_once(questions, sent):
    run = start_run()
    evaluate_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    first = (run.status, run.finished_at, list(run.results.values_list("id", "page_rank")))
    evaluate_task.apply(args=[run.pk]).get()  # a redelivered message for a finished run
    run.refresh_from_db()
    assert first[0] == "finished"
    assert (run.status, run.finished_at, list(run.results.values_list("id", "page_rank"))) == first


@pytest.mark.usefixtures("corpus")
def test_a_run_whose_worker_died_is_started_afresh(questions, sent):
    run = start_run()
    EvaluationRun.objects.filter(pk=run.pk).update(status="running", done=2)
    EvaluationResult.objects.create(run=run, position=1, question="halb fertig", page_rank=9)
    evaluate_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert (run.status, run.done, run.results.count()) == ("finished", 5, 5)
    assert not run.results.filter(question="halb fertig").exists()


def test_past_the_soft_time_limit_the_run_fails_saying_why(questions, sent, monkeypatch):
    run = start_run()

    def too_slow(run_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("workers.tasks.rag.execute_run", too_slow)
    evaluate_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert run.status == "failed" and "took longer than the time limit" in run.error


def test_a_finished_crawl_that_changed_pages_queues_an_evaluation(questions, source, sent):
    crawl = finished_crawl(source, new=3)
    crawl_ended.send(sender=CrawlRun, run=crawl)
    run = EvaluationRun.objects.get()
    assert (run.trigger, run.crawl_run, run.status) == ("after_crawl", crawl, "queued")
    assert sent == [(("lotse.rag.evaluate", run.pk), {})]

    crawl_ended.send(sender=CrawlRun, run=finished_crawl(source, changed=1))
    assert EvaluationRun.objects.count() == 1  # the queued one will see those pages too


@pytest.mark.parametrize(
    ("status", "counters", "setting"),
    [
        (CrawlRun.Status.FINISHED, {"unchanged": 5}, True),  # nothing changed
        (CrawlRun.Status.FAILED, {"new": 5}, True),
        (CrawlRun.Status.CANCELLED, {"new": 5}, True),
        (CrawlRun.Status.FINISHED, {"new": 5}, False),  # switched off
    ],
)
def test_no_evaluation_after_other_crawls(
    questions, source, sent, settings, status, counters, setting
):
    settings.EVALUATE_AFTER_CRAWL = setting
    crawl = CrawlRun.objects.create(source=source, status=status, **counters)
    crawl_ended.send(sender=CrawlRun, run=crawl)
    assert not EvaluationRun.objects.exists() and not sent


def test_a_failing_follow_up_does_not_fail_the_crawl(questions, source, sent, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("backend.evaluation.services.start_run", broken)
    crawl_ended.send(sender=CrawlRun, run=finished_crawl(source, new=1))  # raises nothing
    assert "could not queue the evaluation" in caplog.text


def test_no_evaluation_after_a_crawl_without_test_questions(source, sent):
    crawl_ended.send(sender=CrawlRun, run=finished_crawl(source, new=1))
    assert not EvaluationRun.objects.exists()


@pytest.mark.usefixtures("corpus")
def test_the_run_after_a_crawl_waits_until_its_pages_are_indexed(questions, source, sent):
    crawl_ended.send(sender=CrawlRun, run=finished_crawl(source, new=1))
    run = EvaluationRun.objects.get()
    sent.clear()
    Document.objects.create(source=source, url="https://verein.example/neu/")  # pending
    evaluate_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert run.status == "queued"
    assert sent == [(("lotse.rag.evaluate", run.pk), {"countdown": 30})]

    # it does not wait for ever: a page stuck in the queue does not hold the figures back
    EvaluationRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    sent.clear()
    evaluate_task.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert run.status == "finished" and not sent


def test_crawling_sends_the_signal_when_a_run_ends(source, monkeypatch):
    from backend.sources import run_end

    received = []

    def receiver(sender, run, **kwargs):
        received.append((run.pk, run.status))

    crawl_ended.connect(receiver)
    try:
        crawl = CrawlRun.objects.create(source=source, status=CrawlRun.Status.RUNNING)
        run_end.end_run(crawl, CrawlRun.Status.FINISHED, "done", "", complete=True)
    finally:
        crawl_ended.disconnect(receiver)
    assert received == [(crawl.pk, "finished")]


def test_lost_runs_are_ended(sent):
    now = timezone.now()
    queued = EvaluationRun.objects.create()
    running = EvaluationRun.objects.create(status="running", started_at=now)
    fresh = EvaluationRun.objects.create()
    EvaluationRun.objects.filter(pk=queued.pk).update(created_at=now - timedelta(hours=2))
    EvaluationRun.objects.filter(pk=running.pk).update(started_at=now - timedelta(hours=1))
    assert fail_abandoned_runs() == 2
    statuses = dict(EvaluationRun.objects.values_list("pk", "status"))
    assert statuses == {queued.pk: "failed", running.pk: "failed", fresh.pk: "queued"}
