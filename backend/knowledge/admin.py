"""Knowledge entries in the admin: editors write, change and delete them (the role's model
permissions); each shows whether it is indexed, a preview of how the chat answers its question
and a link to the retrieval debugger with it. The add form takes its fields from the query
string (``?question=…``), so a content gap or a conversation opens it prefilled."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backend.evaluation.selectors import debugger_path
from backend.knowledge.models import KnowledgeEntry
from backend.knowledge.preview import preview_answer


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "language", "status", "valid_from", "valid_until", "updated_at")
    list_filter = ("status", "language", "sources")
    search_fields = ("question", "alternative_questions", "answer")
    filter_horizontal = ("sources",)
    readonly_fields = ("status", "error", "chunk_count", "author", "updated_at", "preview_link")
    fieldsets = (
        (None, {"fields": ("question", "alternative_questions", "answer", "language")}),
        (_("Citation and use"), {"fields": ("read_more_url", "valid_from", "valid_until",
                                            "sources")}),
        (_("Index"), {"fields": ("status", "error", "chunk_count", "author", "updated_at",
                                 "preview_link")}),
    )  # fmt: skip
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj: KnowledgeEntry, form, change: bool) -> None:
        if not change or obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.pop("feedback", None)  # not a field: shown by add_view
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        """Opened from a thumbs-down (``?feedback=<id>``): the vote and the visitor's comment
        above the form, for those who may read feedback."""
        from backend.chat.models import Feedback

        feedback_id = request.GET.get("feedback", "")
        if feedback_id.isdigit() and request.user.has_perm("chat.view_feedback"):
            feedback = Feedback.objects.filter(pk=int(feedback_id)).first()
            extra_context = {**(extra_context or {}), "visitor_feedback": feedback}
        return super().add_view(request, form_url, extra_context)

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        own = [path("<int:entry_id>/preview/", preview, name="knowledge_knowledgeentry_preview")]
        return own + super().get_urls()

    def preview_view(self, request, entry_id: int):
        entry = get_object_or_404(KnowledgeEntry, pk=entry_id)
        if not self.has_view_permission(request, entry):
            raise PermissionDenied
        question = request.GET.get("question", "").strip()[:1000]
        context = {
            **self.admin_site.each_context(request),
            "title": _("How the chat would answer"),
            "opts": self.model._meta,
            "entry": entry,
            "preview": preview_answer(entry, question),
        }
        return TemplateResponse(request, "admin/knowledge/preview.html", context)

    @admin.display(description=_("how the chat answers it"))
    def preview_link(self, obj: KnowledgeEntry):
        if obj.pk is None:
            return _("Save the entry first.")
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:knowledge_knowledgeentry_preview", args=[obj.pk]),
            _("Preview the chat's answer"),
            debugger_path(obj.question),
            _("Ask this question in the retrieval debugger"),
        )
