"""Test questions (with import and export) and evaluation runs (start, progress, results)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.evaluation import transfer
from backend.evaluation.models import EvaluationResult, EvaluationRun, TestQuestion
from backend.evaluation.selectors import debugger_path, figure, latest_run
from backend.evaluation.services import EvaluationAlreadyRunning, NoTestQuestions, start_run
from backend.evaluation.views import ImportForm, StartForm, overview_context, run_context


@admin.register(TestQuestion)
class TestQuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "language", "expected", "source", "active", "last_rank")
    list_filter = ("active", "cannot_answer", "language", "source")
    search_fields = ("question", "expected_url", "alternative_urls", "note")
    list_select_related = ("source",)
    actions = ["export_csv", "export_jsonl", "activate", "deactivate"]
    readonly_fields = ("debugger_link",)
    fieldsets = (
        (None, {"fields": ("question", "language", "cannot_answer")}),
        (
            _("What should answer it"),
            {"fields": ("expected_url", "expected_page", "alternative_urls", "expected_passage")},
        ),
        (None, {"fields": ("source", "active", "note", "debugger_link")}),
    )
    change_list_template = "admin/evaluation/testquestion/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        """With the rank each question got in the latest run (sortable, to find the misses)."""
        questions = super().get_queryset(request)
        latest = latest_run()
        if latest is None:
            return questions.annotate(latest_rank=Value(None, output_field=IntegerField()))
        rank = EvaluationResult.objects.filter(run=latest, test_question=OuterRef("pk"))
        return questions.annotate(latest_rank=Subquery(rank.values("page_rank")[:1]))

    @admin.display(description=_("rank in the latest run"), ordering="latest_rank")
    def last_rank(self, obj: TestQuestion):
        return "-" if obj.latest_rank is None else obj.latest_rank

    @admin.display(description=_("expected"))
    def expected(self, obj: TestQuestion):
        if obj.cannot_answer:
            return _("the site cannot answer this")
        page = _(", page %(page)s") % {"page": obj.expected_page} if obj.expected_page else ""
        return f"{obj.expected_url}{page}"

    @admin.display(description=_("retrieval debugger"))
    def debugger_link(self, obj: TestQuestion):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            debugger_path(obj.question, obj.source_id),
            _("what the chat finds"),
        )

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="evaluation_testquestion_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request):
        """Upload a CSV or JSONL file: every line imported, or none (each bad line named)."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = transfer.decode(upload.read(transfer.MAX_BYTES + 1))
                report = transfer.import_questions(text, transfer.format_of(upload.name, text))
            except transfer.ImportFailed as exc:
                errors = exc.errors
            else:
                self.message_user(
                    request,
                    _("Imported: %(created)s new, %(updated)s updated test questions.")
                    % {"created": report.created, "updated": report.updated},
                    messages.SUCCESS,
                )
                return redirect("admin:evaluation_testquestion_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import test questions"),
            "opts": self.model._meta,
            "form": form,
            "errors": errors,
            "columns": transfer.COLUMNS,
        }
        return TemplateResponse(request, "admin/evaluation/testquestion/import.html", context)

    def _export(self, queryset, file_format: str) -> HttpResponse:
        content_type = "text/csv" if file_format == "csv" else "application/x-ndjson"
        response = HttpResponse(
            transfer.export_questions(queryset, file_format),
            content_type=f"{content_type}; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="lotse-test-questions.{file_format}"'
        )
        return response

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    @admin.action(description=_("Export as JSONL"), permissions=["view"])
    def export_jsonl(self, request, queryset):
        return self._export(queryset, "jsonl")

    @admin.action(description=_("Activate"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Deactivate"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, active: bool) -> None:
        changed = queryset.update(active=active)
        self.message_user(
            request,
            ngettext("%(n)d test question changed.", "%(n)d test questions changed.", changed)
            % {"n": changed},
        )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "trigger",
        "created_at",
        "total",
        "recall_1",
        "recall_5",
        "recall_10",
        "abstention",
        "false_abstention",
        "not_indexed",
        "questions_from",
    )
    list_filter = ("status", "trigger", "question_set")
    fields = (
        "status",
        "trigger",
        "started_by",
        "questions_from",
        "total",
        "source",
        "crawl_run",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    )
    readonly_fields = fields
    change_list_template = "admin/evaluation/evaluationrun/change_list.html"
    change_form_template = "admin/evaluation/evaluationrun/change_form.html"

    def has_add_permission(self, request):
        return False  # runs are started with the button above the list (start_view)

    def has_change_permission(self, request, obj=None):
        return False  # a run is a record: it is never edited

    def _figure(self, obj, key, k=None):
        return _percent(figure(obj.summary, key, k))

    @admin.display(description=_("page recall@1"))
    def recall_1(self, obj):
        return self._figure(obj, "page_recall", 1)

    @admin.display(description=_("page recall@5"))
    def recall_5(self, obj):
        return self._figure(obj, "page_recall", 5)

    @admin.display(description=_("page recall@10"))
    def recall_10(self, obj):
        return self._figure(obj, "page_recall", 10)

    @admin.display(description=_("abstention"))
    def abstention(self, obj):
        return self._figure(obj, "abstention_rate")

    @admin.display(description=_("false abstention"))
    def false_abstention(self, obj):
        return self._figure(obj, "false_abstention_rate")

    @admin.display(description=_("questions from"))
    def questions_from(self, obj):
        return obj.question_set or _("the test questions")

    @admin.display(description=_("not indexed"))
    def not_indexed(self, obj):
        return obj.summary.get("not_indexed", "-") if obj.summary else "-"

    def get_urls(self):
        own = [
            path(
                "start/",
                self.admin_site.admin_view(self.start_view),
                name="evaluation_evaluationrun_start",
            ),
            path(
                "<int:run_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="evaluation_evaluationrun_progress",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), **overview_context(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = get_object_or_404(EvaluationRun, pk=object_id)
        extra_context = {**(extra_context or {}), **run_context(run)}
        return super().change_view(request, object_id, form_url, extra_context)

    def start_view(self, request):
        """Queue a run of the active test questions and open its page (which shows progress)."""
        if request.method != "POST" or not request.user.has_perm("evaluation.add_evaluationrun"):
            raise PermissionDenied
        form = StartForm(request.POST)
        source = form.cleaned_data["source"] if form.is_valid() else None
        try:
            run = start_run(
                trigger=EvaluationRun.Trigger.ADMIN,
                started_by=request.user.get_username(),
                source=source,
            )
        except EvaluationAlreadyRunning as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return redirect("admin:evaluation_evaluationrun_change", exc.run.pk)
        except NoTestQuestions as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect("admin:evaluation_testquestion_changelist")
        self.message_user(request, _("The evaluation was started."), messages.SUCCESS)
        return redirect("admin:evaluation_evaluationrun_change", run.pk)

    def progress_view(self, request, run_id: int):
        """The run's progress as JSON, polled by its page while it is queued or running."""
        run = get_object_or_404(EvaluationRun, pk=run_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return JsonResponse(
            {
                "status": run.status,
                "status_display": str(run.get_status_display()),
                "active": run.is_active,
                "done": run.done,
                "total": run.total,
                "error": run.error,
                "url": reverse("admin:evaluation_evaluationrun_change", args=[run.pk]),
            }
        )
