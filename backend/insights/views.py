"""Admin pages for editors: the dashboard and the retrieval debugger."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from backend.insights import charts
from backend.insights.handoffs import duration
from backend.insights.selectors import dashboard
from backend.sources.models import Source


def dashboard_view(request):
    if not request.user.has_perm("chat.view_conversation"):
        raise PermissionDenied
    try:
        days = min(max(int(request.GET.get("days", 30)), 1), 365)
    except ValueError:
        days = 30
    data = dashboard(days)
    labels = {
        "answered": str(_("answered")),
        "unanswered": str(_("not answered by the site")),
        "other": str(_("errors and interruptions")),
    }
    gap_labels = {
        "opened": str(_("gaps opened")),
        "closed": str(_("gaps closed")),
        "open": str(_("still open")),
    }
    handoff_labels = {"tickets": str(_("tickets")), "live": str(_("live chats"))}
    handoffs = data["handoffs"]
    waits = {
        key: duration(handoffs[key])
        for key in ("live_wait_p50", "live_wait_p95", "ticket_wait_p50", "ticket_wait_p95")
    }
    for week in data["gaps_per_week"]:
        week["label"] = date_format(week["start"], "SHORT_DATE_FORMAT")
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "data": data,
        "can_write_entries": request.user.has_perm("knowledge.add_knowledgeentry"),
        "per_day_chart": charts.stacked_bars(
            data["per_day"], ("answered", "unanswered", "other"), labels
        ),
        "gaps_chart": charts.grouped_bars(
            data["gaps_per_week"], ("opened", "closed", "open"), gap_labels
        ),
        "handoff_chart": charts.stacked_bars(
            handoffs["per_day"], ("tickets", "live"), handoff_labels
        ),
        "waits": waits,
        "cited_top": max((item["count"] for item in data["most_cited"]), default=1),
    }
    return TemplateResponse(request, "admin/insights/dashboard.html", context)


class RetrievalForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=1000)
    source = forms.ModelChoiceField(
        label=_("Source"),
        queryset=Source.objects.all(),
        required=False,
        empty_label=_("all sources"),
    )
    k = forms.IntegerField(label=_("Results"), min_value=1, max_value=50, initial=10)


def retrieval_debugger_view(request):
    """The chat's own retrieval, with the scores: why a question does (not) find a page."""
    if not request.user.has_perm("documents.view_document"):
        raise PermissionDenied
    form = RetrievalForm(request.GET or None)
    results = None
    threshold = None
    if form.is_valid():
        from backend.chat.retrieval import judge_passages, retrieve
        from backend.wiring import answer_config

        source = form.cleaned_data["source"]
        question = form.cleaned_data["question"]
        chunks = retrieve(question, [str(source.pk)] if source else [], form.cleaned_data["k"])
        config = answer_config()
        threshold = config.min_confidence
        passages = judge_passages(question, chunks, config)
        results = [
            {"chunk": chunk, "scores": judgement, "relevant": judgement["relevant"]}
            for chunk, judgement in zip(passages.ranked, passages.judgements, strict=True)
        ]
    context = {
        **admin.site.each_context(request),
        "title": _("Retrieval debugger"),
        "form": form,
        "results": results,
        "threshold": threshold,
    }
    return TemplateResponse(request, "admin/insights/retrieval.html", context)
