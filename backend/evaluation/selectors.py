"""Reading evaluation runs: the history, the comparison with earlier runs, per-question rows."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backend.documents.models import Document
from backend.evaluation.models import EvaluationResult, EvaluationRun
from rag.evaluation import KS

# (key in the stored summary, k or None, True when a higher value is better)
FIGURES: tuple[tuple[str, int | None, bool], ...] = (
    *(("page_recall", k, True) for k in KS),
    *(("passage_recall", k, True) for k in KS),
    ("abstention_rate", None, True),
    ("false_abstention_rate", None, False),
)


def figure(summary: dict, key: str, k: int | None = None) -> float | None:
    """One figure of a stored summary; None when it does not apply (e.g. no question of that
    kind, or no answerable question whose page is in the index)."""
    if not summary:
        return None
    if key == "page_recall" and summary.get("answerable", 0) - summary.get("not_indexed", 0) <= 0:
        return None  # nothing counted: 0.0 would read as "all missed"
    value = summary.get(key)
    if k is not None:
        value = (value or {}).get(str(k))
    return value


def finished_runs(question_set: str = ""):
    return EvaluationRun.objects.filter(
        status=EvaluationRun.Status.FINISHED, question_set=question_set
    ).order_by("-created_at", "-id")


def previous_runs(run: EvaluationRun, count: int = 5) -> list[EvaluationRun]:
    """The finished runs of the same question set before ``run``, newest first."""
    return list(
        finished_runs(run.question_set)
        .filter(created_at__lte=run.created_at)
        .exclude(pk=run.pk)[:count]
    )


def latest_run(question_set: str = "") -> EvaluationRun | None:
    return finished_runs(question_set).first()


def comparison(run: EvaluationRun, previous: EvaluationRun | None) -> list[dict]:
    """Each figure now, before, the change, and whether it got worse."""
    rows = []
    for key, k, higher_is_better in FIGURES:
        now = figure(run.summary, key, k)
        before = figure(previous.summary, key, k) if previous else None
        change = None if now is None or before is None else now - before
        worse = change is not None and (change < -1e-9 if higher_is_better else change > 1e-9)
        rows.append(
            {
                "key": key if k is None else f"{key}@{k}",
                "now": now,
                "before": before,
                "change": change,
                "worse": worse,
            }
        )
    return rows


def debugger_path(question: str, source_id: int | None = None) -> str:
    """The admin's retrieval debugger with the question filled in."""
    query = {"question": question[:1000], "k": max(KS)}
    if source_id:
        query["source"] = source_id
    return f"{reverse('admin:retrieval')}?{urlencode(query)}"


def admin_base_url() -> str:
    """Where editors open the admin, for links printed by a command."""
    host = settings.CHATBOT_HOST
    if host in ("localhost", "127.0.0.1", ""):
        return "http://127.0.0.1:8000"
    return f"https://{host}"


def _key(result: EvaluationResult) -> tuple:
    if result.test_question_id:
        return ("id", result.test_question_id)
    return ("text", result.question, result.source_id_searched)


def result_rows(
    run: EvaluationRun,
    previous: EvaluationRun | None = None,
    *,
    results: list[EvaluationResult] | None = None,
) -> list[dict]:
    """One row per question: its result, the rank in ``previous`` and the debugger link.
    ``results`` for a run kept in memory only (default: the run's stored results)."""
    before = {}
    if previous is not None:
        before = {_key(result): result for result in previous.results.all()}
    rows = []
    for result in run.results.all() if results is None else results:
        earlier = before.get(_key(result))
        rows.append(
            {
                "result": result,
                "verdict": verdict(result),
                "previous_rank": earlier.page_rank if earlier else None,
                "previous_verdict": verdict(earlier) if earlier else "",
                "got_worse": earlier is not None and _worse(earlier, result),
                "debugger": debugger_path(result.question, result.source_id_searched),
                "index_note": index_note(result),
                "refusal_note": refusal_note(result),
            }
        )
    return rows


def verdict(result: EvaluationResult) -> str:
    """A stable word for the outcome: found, found_late, missed, not_indexed, abstained_right,
    answered_wrongly (a question the site cannot answer got an answer), abstained_wrongly (the
    chat said "I don't know" although the expected page was found), refused."""
    if result.refusal:
        return "refused"
    if result.cannot_answer:
        return "abstained_right" if result.abstained else "answered_wrongly"
    if not result.expected_indexed:
        return "not_indexed"
    if result.page_rank is not None and result.abstained:
        return "abstained_wrongly"
    if result.page_rank is not None and result.page_rank <= 5:
        return "found"
    if result.page_rank is not None:
        return "found_late"
    return "missed"


_GOODNESS = {
    "found": 3,
    "abstained_right": 3,
    "found_late": 2,
    "missed": 1,
    "answered_wrongly": 1,
    "abstained_wrongly": 1,
    "not_indexed": 0,
    "refused": 0,
}


def _worse(before: EvaluationResult, now: EvaluationResult) -> bool:
    if _GOODNESS[verdict(now)] < _GOODNESS[verdict(before)]:
        return True
    return (
        before.page_rank is not None
        and now.page_rank is not None
        and now.page_rank > before.page_rank
    )


def history(question_set: str = "", count: int = 30) -> list[EvaluationRun]:
    """The last ``count`` finished runs of a question set, oldest first (for the chart)."""
    return list(reversed(finished_runs(question_set)[:count]))


def index_note(result: EvaluationResult) -> str:
    """Why an expected page is not in the index, in the editor's words."""
    if result.expected_indexed or not result.index_status:
        return ""
    if result.index_status == "never_crawled":
        return str(
            _("Never crawled: no source has this page (check the URL and the source's scope).")
        )
    if result.index_status == Document.Status.FAILED:
        return str(_("Indexing failed: %(error)s") % {"error": result.index_error})
    status = (
        Document.Status(result.index_status).label
        if result.index_status in Document.Status.values
        else result.index_status
    )
    return str(_("Known to Lotse, status: %(status)s.") % {"status": status})


REFUSALS = {
    "message_too_long": _("longer than the chat accepts"),
    "empty_message": _("empty"),
    "invalid_message": _("contains characters that are not text"),
}


def refusal_note(result: EvaluationResult) -> str:
    if not result.refusal:
        return ""
    why = REFUSALS.get(result.refusal, result.refusal)
    return str(_("The chat refuses this question: %(why)s") % {"why": why})
