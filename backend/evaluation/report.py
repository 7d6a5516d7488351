"""An evaluation run as text (for a terminal) and as JSON (for scripts and CI)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from backend.evaluation.models import EvaluationResult, EvaluationRun
from backend.evaluation.selectors import (
    FIGURES,
    admin_base_url,
    comparison,
    figure,
    result_rows,
)

LABELS = {
    "page_recall": "page recall",
    "passage_recall": "passage recall",
    "abstention_rate": "abstention (cannot answer)",
    "false_abstention_rate": "false abstention",
}


def _label(key: str) -> str:
    name, _sep, k = key.partition("@")
    return f"{LABELS[name]}@{k}" if k else LABELS[name]


def _number(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def build(
    run: EvaluationRun, results: list[EvaluationResult], previous: list[EvaluationRun]
) -> dict:
    """Everything a report shows, as plain data (the JSON output)."""
    before = previous[0] if previous else None
    rows = result_rows(run, before, results=results)
    base = admin_base_url()
    return {
        "run": run.pk,
        "status": run.status,
        "question_set": run.question_set,
        "created_at": _when(run),
        "started_by": run.started_by,
        "searched": run.searched,
        "summary": run.summary,
        "warnings": warnings(run),
        "comparison": comparison(run, before),
        "compared_with": before.pk if before else None,
        "results": [
            {
                "position": row["result"].position,
                "question": row["result"].question,
                "language": row["result"].language,
                "cannot_answer": row["result"].cannot_answer,
                "expected_urls": row["result"].expected_urls,
                "expected_page": row["result"].expected_page,
                "page_rank": row["result"].page_rank,
                "passage_rank": row["result"].passage_rank,
                "abstained": row["result"].abstained,
                "expected_indexed": row["result"].expected_indexed,
                "index_status": row["result"].index_status,
                "index_note": row["index_note"],
                "refusal": row["result"].refusal,
                "refusal_note": row["refusal_note"],
                "verdict": row["verdict"],
                "previous_rank": row["previous_rank"],
                "got_worse": row["got_worse"],
                "top_hits": row["result"].top_hits,
                "debugger": base + row["debugger"],
            }
            for row in rows
        ],
        "previous": [
            {
                "run": earlier.pk,
                "created_at": _when(earlier),
                "trigger": earlier.trigger,
                "summary": earlier.summary,
            }
            for earlier in previous
        ],
    }


def _when(run: EvaluationRun) -> str | None:
    return timezone.localtime(run.created_at).isoformat() if run.created_at else None


def warnings(run: EvaluationRun) -> list[str]:
    """What makes the figures mean less than they seem, in one sentence each."""
    found = []
    searched, summary = run.searched or {}, run.summary or {}
    if searched and not searched.get("indexed_passages"):
        found.append(
            _(
                "The index is empty (collection %(collection)s holds no passages): crawl a "
                "source first; until then every expected page counts as not indexed."
            )
            % {"collection": searched.get("collection", "?")}
        )
    if summary.get("not_indexed"):
        found.append(
            _(
                "%(n)s expected page(s) are not in the index: they are left out of recall "
                "(a crawl problem, not a retrieval miss)."
            )
            % {"n": summary["not_indexed"]}
        )
    if summary.get("refused"):
        found.append(
            _("%(n)s question(s) the chat refuses (see the list).") % {"n": summary["refused"]}
        )
    return found


def text_lines(report: dict) -> list[str]:
    """The report for a terminal: figures with the change since the previous run, each
    question's rank with its debugger link, then the earlier runs."""
    summary, searched = report["summary"], report["searched"]
    lines = [
        f"Evaluation {'#' + str(report['run']) if report['run'] else '(not stored)'}"
        f"{' of ' + report['question_set'] if report['question_set'] else ''}: "
        f"{summary.get('questions', 0)} questions ({summary.get('answerable', 0)} answerable, "
        f"{summary.get('unanswerable', 0)} the site cannot answer)",
        f"Searched: {searched.get('mode', '?')}"
        f"{' (' + searched['dense_model'] + ')' if searched.get('dense_model') else ''}, "
        f"collection {searched.get('collection', '?')}: "
        f"{searched.get('indexed_passages', 0)} passages of "
        f"{searched.get('indexed_documents', 0)} documents",
        "",
        f"{'':30} {'now':>5} {'before':>7} {'change':>7}",
    ]
    for row in report["comparison"]:
        change = "" if row["change"] is None else f"{row['change']:+.2f}"
        flag = "  worse" if row["worse"] else ""
        lines.append(
            f"{_label(row['key']):30} {_number(row['now']):>5} {_number(row['before']):>7} "
            f"{change:>7}{flag}"
        )
    if report["compared_with"]:
        lines.append(f"(before = run #{report['compared_with']})")
    for warning in report["warnings"]:
        lines.append(f"! {warning}")
    lines += ["", f"{'#':>3} {'rank':>4} {'was':>4} {'verdict':16} question"]
    for result in report["results"]:
        rank = "-" if result["page_rank"] is None else str(result["page_rank"])
        was = "-" if result["previous_rank"] is None else str(result["previous_rank"])
        worse = " (worse)" if result["got_worse"] else ""
        lines.append(
            f"{result['position']:>3} {rank:>4} {was:>4} {result['verdict']:16} "
            f"{result['question'][:90]}{worse}"
        )
        if result["verdict"] == "not_indexed":
            lines.append(f"{'':14}not in the index: {' '.join(result['expected_urls'])}")
            if result["index_note"]:
                lines.append(f"{'':14}{result['index_note']}")
        if result["refusal_note"]:
            lines.append(f"{'':14}{result['refusal_note']}")
        if result["verdict"] in ("missed", "found_late", "answered_wrongly") and result["top_hits"]:
            best = result["top_hits"][0]
            page = f" p.{best['page']}" if best.get("page") else ""
            lines.append(f"{'':14}found first: {best['url']}{page}")
        lines.append(f"{'':14}{result['debugger']}")
    if report["previous"]:
        lines += ["", "Earlier runs:", f"{'run':>6} {'when':16} " + _history_header()]
        for earlier in report["previous"]:
            lines.append(
                f"{'#' + str(earlier['run']):>6} {earlier['created_at'][:16].replace('T', ' '):16} "
                + " ".join(
                    f"{_number(figure(earlier['summary'], key, k)):>6}"
                    for key, k, _better in HISTORY_FIGURES
                )
            )
    return lines


HISTORY_FIGURES = [f for f in FIGURES if f[0] != "passage_recall"]


def _history_header() -> str:
    short = {"page_recall": "R", "abstention_rate": "abst", "false_abstention_rate": "f.abst"}
    return " ".join(
        f"{short[key] + ('@' + str(k) if k else ''):>6}" for key, k, _b in HISTORY_FIGURES
    )
