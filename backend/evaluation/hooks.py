"""The evaluation after every crawl that changed the index (DESIGN.md, flow 4)."""

from __future__ import annotations

import logging

from django.conf import settings

from backend.sources.models import CrawlRun

logger = logging.getLogger(__name__)


def evaluate_after_crawl(sender, run: CrawlRun, **kwargs) -> None:
    """Queue an evaluation when a crawl finished and changed what is indexed.

    Only with EVALUATE_AFTER_CRAWL on and active test questions; a crawl that changed nothing
    leaves the figures as they were, so it queues nothing. One evaluation at a time: while
    another one is queued (it will see this crawl's pages too) or running, none is added."""
    from backend.evaluation.models import EvaluationRun
    from backend.evaluation.services import (
        EvaluationAlreadyRunning,
        NoTestQuestions,
        start_run,
    )

    if not settings.EVALUATE_AFTER_CRAWL or run.status != CrawlRun.Status.FINISHED:
        return
    if not (run.new or run.changed or run.gone):
        return
    try:
        start_run(
            trigger=EvaluationRun.Trigger.AFTER_CRAWL,
            started_by=str(run),
            crawl_run=run,
        )
    except (EvaluationAlreadyRunning, NoTestQuestions) as exc:
        logger.info("no evaluation after crawl run %s: %s", run.pk, exc)
    except Exception:
        # the crawl has ended and is recorded: a broken follow-up must not fail its task
        logger.exception("could not queue the evaluation after crawl run %s", run.pk)
