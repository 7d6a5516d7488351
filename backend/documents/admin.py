from django.contrib import admin, messages
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.documents.models import Document
from backend.documents.selectors import document_chunks
from backend.documents.services import reindex


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "source",
        "status",
        "content_type",
        "language",
        "chunk_count",
        "last_indexed_at",
        "chunks_link",
    )
    list_filter = ("status", "source", "content_type", "language")
    search_fields = ("url", "title", "error")
    readonly_fields = [field.name for field in Document._meta.fields if field.name != "id"] + [
        "chunks_link"
    ]
    list_select_related = ("source",)
    actions = ["reindex_documents"]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        own = [
            path(
                "<int:document_id>/chunks/",
                self.admin_site.admin_view(self.chunks_view),
                name="documents_document_chunks",
            )
        ]
        return own + super().get_urls()

    @admin.display(description=_("chunks"))
    def chunks_link(self, obj: Document):
        url = reverse("admin:documents_document_chunks", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("show chunks"))

    @admin.action(description=_("Re-index"))
    def reindex_documents(self, request, queryset):
        queued = reindex(queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)d document queued for indexing.",
                "%(n)d documents queued for indexing.",
                queued,
            )
            % {"n": queued},
            messages.SUCCESS,
        )

    def chunks_view(self, request, document_id: int):
        doc = get_object_or_404(Document, pk=document_id)
        if not self.has_view_permission(request, doc):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": doc,
            "link_url": doc.url,
            "link_text": doc.url,
            "title": _("Chunks of %(document)s") % {"document": doc},
            "chunks": document_chunks(doc),
        }
        return TemplateResponse(request, "admin/chunks.html", context)
