"""What the admin's evaluation pages show: figures in the editors' words, the history chart,
each question's row; and the forms for starting a run and importing questions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.evaluation import charts
from backend.evaluation.models import EvaluationRun
from backend.evaluation.report import warnings
from backend.evaluation.selectors import (
    comparison,
    figure,
    history,
    latest_run,
    previous_runs,
    result_rows,
)
from backend.evaluation.services import active_questions
from backend.sources.models import Source

FIGURE_LABELS = {
    "page_recall@1": _("Right page first (page recall@1)"),
    "page_recall@5": _("Right page in the top 5 (page recall@5)"),
    "page_recall@10": _("Right page in the top 10 (page recall@10)"),
    "passage_recall@1": _("Right passage first (passage recall@1)"),
    "passage_recall@5": _("Right passage in the top 5 (passage recall@5)"),
    "passage_recall@10": _("Right passage in the top 10 (passage recall@10)"),
    "abstention_rate": _("“I don't know” when the site cannot answer (abstention)"),
    "false_abstention_rate": _("“I don't know” although the site answers (false abstention)"),
}

CHART_LABELS = {
    "page_recall@5": _("page recall@5"),
    "page_recall@1": _("page recall@1"),
    "abstention_rate": _("abstention"),
}

VERDICT_LABELS = {
    "found": _("found"),
    "found_late": _("found, but below the top 5"),
    "missed": _("not found"),
    "not_indexed": _("page not in the index"),
    "abstained_right": _("“I don't know” (right)"),
    "answered_wrongly": _("answered, although the site cannot"),
    "abstained_wrongly": _("“I don't know”, although the page was found"),
    "refused": _("refused by the chat"),
}


class StartForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Search in"),
        queryset=Source.objects.all(),
        required=False,
        empty_label=_("all sources"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV or JSONL, with the columns of an export.")
    )


def figure_rows(run: EvaluationRun, previous: EvaluationRun | None) -> list[dict]:
    return [
        {**row, "label": FIGURE_LABELS[row["key"]]}
        for row in comparison(run, previous)
        if row["now"] is not None or row["before"] is not None
    ]


def run_context(run: EvaluationRun) -> dict:
    """A run's page: its figures against the previous run, and every question."""
    earlier = previous_runs(run, count=1) if run.status == EvaluationRun.Status.FINISHED else []
    previous = earlier[0] if earlier else None
    rows = result_rows(run, previous)
    for row in rows:
        row["verdict_label"] = VERDICT_LABELS[row["verdict"]]
    return {
        "run": run,
        "previous": previous,
        "figures": figure_rows(run, previous) if run.summary else [],
        "warnings": warnings(run) if run.summary else [],
        "rows": rows,
    }


def overview_context(request) -> dict:
    """The top of the run list: start, the latest figures, the chart of earlier runs."""
    latest = latest_run()
    previous = previous_runs(latest, count=1) if latest else []
    runs = history()
    chart_runs = [
        {
            "id": run.pk,
            "when": run.created_at.strftime("%Y-%m-%d %H:%M"),
            "values": {key: figure(run.summary, name, k) for key, name, k in charts.series_keys()},
        }
        for run in runs
    ]
    labels = {key: str(label) for key, label in CHART_LABELS.items()}
    return {
        "can_start": request.user.has_perm("evaluation.add_evaluationrun"),
        "start_form": StartForm(),
        "active_count": active_questions().count(),
        "running": EvaluationRun.objects.filter(status__in=EvaluationRun.ACTIVE_STATUSES).first(),
        "latest": latest,
        "latest_figures": figure_rows(latest, previous[0] if previous else None) if latest else [],
        "latest_warnings": warnings(latest) if latest else [],
        "chart": charts.history_chart(chart_runs, labels) if len(chart_runs) > 1 else "",
    }
