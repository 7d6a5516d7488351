"""Evaluation use cases: start a run, execute it (the task body), store what it found.

A run is a row that moves queued -> running -> finished (or failed). The admin starts one as a
task on the ``rag`` queue (the workers that hold the embedding model and the longest time
limit), so the page answers at once and shows progress; ``manage.py evaluate`` runs the same
code in its own process and waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.evaluation.models import EvaluationResult, EvaluationRun, TestQuestion
from backend.evaluation.runner import Item, Outcome, ask_all, chat_config, describe_search
from backend.sources.models import Source
from rag.evaluation import TestQuestion as Question
from rag.evaluation import summarise
from workers.dispatch import enqueue, enqueue_on_commit
from workers.names import QUEUE_TIME_LIMITS, Queue, Task

logger = logging.getLogger(__name__)

# an evaluation after a crawl waits this long at most for the crawl's pages to be indexed
INDEXING_WAIT = timedelta(minutes=30)
INDEXING_RECHECK_S = 30
# a run queued or running for longer than these was lost with its task or worker
LOST_QUEUED_AFTER = INDEXING_WAIT + timedelta(minutes=30)
LOST_RUNNING_AFTER = timedelta(seconds=QUEUE_TIME_LIMITS[Queue.RAG][1] + 600)


class EvaluationAlreadyRunning(Exception):
    def __init__(self, run: EvaluationRun):
        self.run = run
        if run.status == EvaluationRun.Status.QUEUED:
            message = _("An evaluation is already queued (run #%(id)s).")
        else:
            message = _("An evaluation is already running (run #%(id)s).")
        super().__init__(message % {"id": run.pk})


class NoTestQuestions(Exception):
    """Nothing to evaluate: there are no active test questions (for this source)."""


def as_question(test_question: TestQuestion) -> Question:
    return Question(
        question=test_question.question,
        expected_urls=tuple(test_question.expected_urls),
        expected_page=test_question.expected_page,
        expected_passage=test_question.expected_passage.strip(),
        answerable=not test_question.cannot_answer,
        language=test_question.language,
        id=str(test_question.pk or ""),
    )


def items_for(questions, source: Source | None = None) -> list[Item]:
    """A question tied to a source is searched there; the others in ``source`` (None: all)."""
    return [
        Item(
            question=as_question(q),
            source_id=q.source_id or (source.pk if source else None),
            test_question_id=q.pk,
        )
        for q in questions
    ]


def active_questions(source: Source | None = None):
    """The active questions; with ``source``, those not tied to another source."""
    questions = TestQuestion.objects.filter(active=True)
    if source is not None:
        questions = questions.filter(Q(source__isnull=True) | Q(source=source))
    return questions.order_by("id")


def fail_abandoned_runs(now=None) -> int:
    """End runs whose task was lost (never started) or whose worker died mid-run."""
    now = now or timezone.now()
    lost = EvaluationRun.objects.filter(
        status=EvaluationRun.Status.QUEUED, created_at__lt=now - LOST_QUEUED_AFTER
    ).update(
        status=EvaluationRun.Status.FAILED,
        finished_at=now,
        error="The run never started: its task was lost. Start it again.",
    )
    dead = EvaluationRun.objects.filter(
        status=EvaluationRun.Status.RUNNING, started_at__lt=now - LOST_RUNNING_AFTER
    ).update(
        status=EvaluationRun.Status.FAILED,
        finished_at=now,
        error="The run never finished: its worker was probably lost. Start it again.",
    )
    return lost + dead


def start_run(
    *,
    trigger: str = EvaluationRun.Trigger.ADMIN,
    started_by: str = "",
    source: Source | None = None,
    crawl_run=None,
) -> EvaluationRun:
    """Queue a run of the active test questions, or raise EvaluationAlreadyRunning /
    NoTestQuestions. One run at a time: a second one would only measure the same index."""
    fail_abandoned_runs()
    total = active_questions(source).count()
    if not total:
        raise NoTestQuestions(_("There are no active test questions to evaluate."))
    with transaction.atomic():
        active = EvaluationRun.objects.filter(
            status__in=EvaluationRun.ACTIVE_STATUSES, question_set=""
        ).first()
        if active is not None:
            raise EvaluationAlreadyRunning(active)
        run = EvaluationRun.objects.create(
            trigger=trigger,
            started_by=started_by[:150],
            source=source,
            crawl_run=crawl_run,
            total=total,
        )
        enqueue_on_commit(Task.EVALUATE, run.pk)
    logger.info("evaluation run %s queued (%s, %s questions)", run.pk, trigger, total)
    return run


def claim_run(run_id: int) -> EvaluationRun | None:
    """Take a queued run, or a running one whose worker died, and start it afresh (its
    results so far are dropped). None when the run has ended or is gone."""
    with transaction.atomic():
        claimed = EvaluationRun.objects.filter(
            pk=run_id, status__in=EvaluationRun.ACTIVE_STATUSES
        ).update(status=EvaluationRun.Status.RUNNING, started_at=timezone.now(), done=0, error="")
        if not claimed:
            return None
        EvaluationResult.objects.filter(run_id=run_id).delete()
    return EvaluationRun.objects.select_related("source").get(pk=run_id)


def waits_for_indexing(run_id: int, now=None) -> bool:
    """An evaluation after a crawl measures the index the crawl produced: while pages of it
    still wait for indexing (on other workers of the rag queue), it waits too, at most
    INDEXING_WAIT."""
    from backend.documents.models import Document

    run = EvaluationRun.objects.filter(
        pk=run_id, status=EvaluationRun.Status.QUEUED, trigger=EvaluationRun.Trigger.AFTER_CRAWL
    ).first()
    if run is None or (now or timezone.now()) - run.created_at > INDEXING_WAIT:
        return False
    return Document.objects.filter(status=Document.Status.PENDING).exists()


def execute_run(run_id: int) -> EvaluationRun | None:
    """The task body: claim the run, ask its questions, store results and figures."""
    if waits_for_indexing(run_id):
        logger.info("evaluation run %s waits for indexing to finish", run_id)
        enqueue(Task.EVALUATE, run_id, countdown=INDEXING_RECHECK_S)
        return None
    run = claim_run(run_id)
    if run is None:
        logger.info("evaluation run %s has ended or is gone; nothing to do", run_id)
        return None
    items = items_for(active_questions(run.source), run.source)
    return run_items(run, items)[0]


def run_items(
    run: EvaluationRun,
    items: list[Item],
    progress: Callable[[int, int], None] | None = None,
    *,
    store: bool = True,
) -> tuple[EvaluationRun, list[EvaluationResult]]:
    """Ask ``items`` for ``run`` and keep the results. ``store`` False (a file's questions
    asked from the command line) keeps run and results in memory only.

    A failure ends the run as failed with the reason and is raised again for the caller."""
    results: list[EvaluationResult] = []
    run.total, run.status, run.started_at = len(items), EvaluationRun.Status.RUNNING, timezone.now()
    if store:
        run.save(update_fields=["total", "status", "started_at"])

    def step(done: int, outcome: Outcome) -> None:
        result = result_of(run, done, outcome)
        if store:
            _save_result(result)
            EvaluationRun.objects.filter(pk=run.pk).update(done=done)
        results.append(result)
        if progress is not None:
            progress(done, len(items))

    try:
        config = chat_config()
        searched = describe_search(config)
        outcomes = ask_all(items, config, progress=step)
    except BaseException as exc:  # an interrupted command too: the run must not stay "running"
        logger.exception("evaluation run %s failed", run.pk)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _finish(run, EvaluationRun.Status.FAILED, store, error=reason)
        raise
    summary = summarise([outcome.result for outcome in outcomes]).to_dict()
    summary["refused"] = sum(1 for outcome in outcomes if outcome.refusal)
    run = _finish(
        run,
        EvaluationRun.Status.FINISHED,
        store,
        summary=summary,
        searched=searched,
        done=len(items),
    )
    return run, results


def result_of(run: EvaluationRun, position: int, outcome: Outcome) -> EvaluationResult:
    question, result = outcome.item.question, outcome.result
    return EvaluationResult(
        run=run,
        position=position,
        test_question_id=outcome.item.test_question_id,
        question=question.question,
        language=question.language,
        cannot_answer=not question.answerable,
        expected_urls=list(question.expected_urls),
        expected_page=question.expected_page,
        expected_passage=question.expected_passage,
        source_id_searched=outcome.item.source_id,
        page_rank=result.page_rank,
        passage_rank=result.passage_rank,
        abstained=result.abstained,
        expected_indexed=result.expected_indexed,
        index_status=outcome.index_status,
        index_error=outcome.index_error[:300],
        hits=result.hits,
        top_hits=outcome.top_hits,
        refusal=outcome.refusal[:50],
    )


def _save_result(result: EvaluationResult) -> None:
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        # an editor deleted the test question meanwhile: keep the result, without the link
        result.test_question_id = None
        result.save()


def fail_run(run_id: int, error: str) -> None:
    EvaluationRun.objects.filter(pk=run_id).update(
        status=EvaluationRun.Status.FAILED, finished_at=timezone.now(), error=error
    )


def _finish(run: EvaluationRun, status: str, store: bool, **values) -> EvaluationRun:
    values.update(status=status, finished_at=timezone.now())
    if not store:
        for name, value in values.items():
            setattr(run, name, value)
        return run
    EvaluationRun.objects.filter(pk=run.pk).update(**values)
    run.refresh_from_db()
    logger.info("evaluation run %s ended: %s", run.pk, status)
    return run
